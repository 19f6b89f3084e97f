"""An uploaded table read safely: a workbook through python-calamine, a CSV through the csv module.

Every refusal is a 4xx naming the file (and the sheet, row or column): a file that is not what its name
says (checked by its first bytes, not trusted from the name), a corrupt or truncated workbook, a zip bomb
(the sum of the parts' uncompressed sizes and each part's compression ratio are capped before calamine
opens it), a DOCTYPE in any XML part (entity tricks; calamine would not expand them, we do not let them in
at all), a sheet wider than MAX_COLUMNS or longer than MAX_ROWS, no header, blank or duplicate headers.

A ``Table`` can be read more than once (the validation pass, then the writing pass, then a resumed job):
``rows(skip)`` opens the file again and starts after ``skip`` data rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.errors import BadRequest, PayloadTooLarge, Unprocessable

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_COLUMNS = 500
MAX_ROWS = 5_000_000
MAX_UNCOMPRESSED = 4 * 1024**3
MAX_RATIO = 200  # a part that inflates more than this (and past 1 MB) is a zip bomb, not a spreadsheet
MAX_HEADER = 255
ENCODINGS = ("utf-8", "gb18030")


def suffix_of(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise Unprocessable(f"{file_name}: BOMS imports {', '.join(SUFFIXES)} files, not '{suffix or file_name}'",
                            field="file")
    return suffix


def _check_zip(path: Path, file_name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if total > MAX_UNCOMPRESSED:
                    raise PayloadTooLarge(f"{file_name}: the workbook unpacks to more than {MAX_UNCOMPRESSED} "
                                          "bytes; split it", field="file")
                if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise Unprocessable(f"{file_name}: part '{info.filename}' inflates {info.file_size} bytes "
                                        f"from {info.compress_size} (a zip bomb, not a spreadsheet)", field="file")
            for info in archive.infolist():
                if info.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(info) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise Unprocessable(f"{file_name}: part '{info.filename}' declares a DOCTYPE or entities,"
                                            " which spreadsheets never need; refused", field="file")
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise BadRequest(f"{file_name}: the workbook is corrupt or truncated ({exc})", field="file") from None


def check_content(path: Path, file_name: str) -> str:
    """The suffix, once the first bytes agree with it (and a zip workbook passed the bomb checks)."""
    suffix = suffix_of(file_name)
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head:
        raise BadRequest(f"{file_name}: the file is empty", field="file")
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods"):
        if not head.startswith(ZIP_MAGIC):
            raise BadRequest(f"{file_name}: not a {suffix} workbook (a {suffix} file is a zip archive); "
                             "was it renamed?", field="file")
        _check_zip(path, file_name)
    elif suffix == ".xls":
        if not head.startswith(OLE_MAGIC):
            raise BadRequest(f"{file_name}: not an .xls workbook; was it renamed?", field="file")
    elif head.startswith((ZIP_MAGIC, OLE_MAGIC)) or b"\x00" in head:
        raise BadRequest(f"{file_name}: not a CSV text file (it holds binary data; is it a workbook renamed to "
                         ".csv?)", field="file")
    return suffix


def detect_encoding(path: Path, file_name: str, chosen: str | None = None) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else GB18030 (a superset of GBK,
    what Chinese Excel writes); ``chosen`` (the user's pick) wins. Undecodable in both: a 400 naming the line."""
    candidates = (chosen,) if chosen else ENCODINGS
    for encoding in candidates:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise BadRequest(f"unknown encoding '{encoding}' (use utf-8 or gb18030)", field="encoding") from None
        decoder = codecs.getincrementaldecoder(encoding)()
        line = 1
        try:
            with open(path, "rb") as handle:
                while block := handle.read(1 << 20):
                    line += decoder.decode(block).count("\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" else encoding
    raise BadRequest(f"{file_name}: line {line}: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 CSV",
                     field="file")


def _clean_header(raw: list[Any], file_name: str, sheet: str | None) -> list[str]:
    where = f"{file_name}" + (f", sheet '{sheet}'" if sheet else "")
    header = ["" if v is None else str(v).strip() for v in raw]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise Unprocessable(f"{where}: row 1 is empty; the first row must name the columns", field="file")
    if len(header) > MAX_COLUMNS:
        raise Unprocessable(f"{where}: {len(header)} columns; at most {MAX_COLUMNS} can be imported", field="file")
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        column = column_letter(index)
        if not name:
            raise Unprocessable(f"{where}: row 1 column {column} has no header; name every column", field="file")
        if len(name) > MAX_HEADER:
            raise Unprocessable(f"{where}: row 1 column {column}: the header is longer than {MAX_HEADER} "
                                "characters", field="file")
        if name.casefold() in seen:
            raise Unprocessable(f"{where}: row 1: the header '{name}' appears twice (columns "
                                f"{column_letter(seen[name.casefold()])} and {column}); rename one", field="file")
        seen[name.casefold()] = index
    return header


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Table:
    path: Path
    file_name: str
    suffix: str
    sheet: str | None
    header: list[str]
    encoding: str | None = None
    delimiter: str = ","
    total: int | None = None  # data rows, when the reader knows them up front (workbooks)
    # The sheet calamine read for the header, kept for the passes over the rows: it holds the whole sheet
    # in memory anyway, and reading it again is a tenth of an import's time.
    loaded: Any = field(default=None, repr=False, compare=False)

    def rows(self, skip: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """(the row's number in the file, its cells), data rows only, after ``skip`` of them."""
        if self.suffix == ".csv":
            yield from self._csv_rows(skip)
        else:
            yield from self._sheet_rows(skip)

    def _csv_rows(self, skip: int) -> Iterator[tuple[int, list[Any]]]:
        with open(self.path, encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                next(reader)
                for number, cells in enumerate(reader, start=2):
                    if number - 2 < skip:
                        continue
                    if any(c.strip() for c in cells):
                        yield number, cells
            except csv.Error as exc:
                raise BadRequest(f"{self.file_name}: line {reader.line_num}: {exc}", field="file") from None

    def _sheet_rows(self, skip: int) -> Iterator[tuple[int, list[Any]]]:
        sheet = self.loaded if self.loaded is not None else _open_sheet(self.path, self.file_name, self.sheet)
        start = (sheet.start or (0, 0))[0]
        for index, cells in enumerate(sheet.iter_rows()):
            if index == 0 or index - 1 < skip:
                continue
            if any(c not in ("", None) for c in cells):
                yield start + index + 1, list(cells)


def _open_sheet(path: Path, file_name: str, sheet_name: str | None) -> Any:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if sheet_name is not None and sheet_name not in names:
            raise Unprocessable(f"{file_name}: no sheet '{sheet_name}' (sheets: {', '.join(names)})", field="sheet")
        if not names:
            raise Unprocessable(f"{file_name}: the workbook has no sheet", field="file")
        return workbook.get_sheet_by_name(sheet_name or names[0])
    except python_calamine.PasswordError:
        raise Unprocessable(f"{file_name}: the workbook is password-protected; save it without a password",
                            field="file") from None
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError,
            OSError) as exc:
        raise BadRequest(f"{file_name}: the workbook is corrupt or not readable ({exc})", field="file") from None


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def open_table(path: Path, file_name: str, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Check the file and read its header; the data rows are read later, as often as needed."""
    suffix = check_content(path, file_name)
    if suffix == ".csv":
        if sheet is not None:
            raise BadRequest(f"{file_name}: a CSV file has no sheets; leave 'sheet' out", field="sheet")
        used = detect_encoding(path, file_name, encoding)
        with open(path, encoding=used, newline="") as handle:
            sample = handle.read(65536)
        delimiter = _sniff("\n".join(sample.splitlines()[:20]))
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
        return Table(path, file_name, suffix, None, _clean_header(first, file_name, None), used, delimiter)
    sheet_obj = _open_sheet(path, file_name, sheet)
    where = f"{file_name}, sheet '{sheet_obj.name}'"
    # The used range's far corner (0-based), not total_width: that one counts from the first used column.
    last_row, last_column = sheet_obj.end or (0, 0)
    if last_column + 1 > MAX_COLUMNS:
        raise Unprocessable(f"{where}: {last_column + 1} columns; at most {MAX_COLUMNS} can be imported",
                            field="file")
    if last_row > MAX_ROWS:
        raise Unprocessable(f"{where}: {last_row + 1} rows; at most {MAX_ROWS} can be imported at once",
                            field="file")
    first_row = next(iter(sheet_obj.iter_rows()), None)
    if first_row is None:
        raise Unprocessable(f"{where}: the sheet is empty; the first row must name the columns", field="file")
    header = _clean_header(list(first_row), file_name, sheet_obj.name)
    return Table(path, file_name, suffix, sheet_obj.name, header, total=max(sheet_obj.height - 1, 0),
                 loaded=sheet_obj)
