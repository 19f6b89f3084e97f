"""Workbooks BOMS writes for imports (xlsxwriter, constant memory): the refused rows, and a type's template.

The error workbook is the file's header plus one column "Errors / 错误" naming each wrong cell, then the
refused rows as they were read. Corrected, it imports again as it is: the extra column maps to no field
and is listed as ignored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

import xlsxwriter

from server.models import RecordImport, RecordImportError
from server.records.imports.convert import CONVERTERS

ERRORS_HEADER = "Errors / 错误"
SAMPLES: dict[str, Any] = {"text": "Text", "long_text": "Longer text", "email": "name@example.com",
                           "url": "https://example.com", "integer": 42, "decimal": "12.5", "money": "1,234.50",
                           "boolean": "yes", "date": "2026-03-05", "datetime": "2026-03-05 14:30",
                           "user": "admin"}


def book_of(handle: IO[bytes]) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(handle, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})


def _english(problem: Mapping[str, Any]) -> str:
    return str(problem.get("message", ""))


def _english_row(number: int, text: str) -> str:
    return f"row {number}: {text}"


def error_workbook(row: RecordImport, errors: Iterable[RecordImportError],
                   describe: Callable[[Mapping[str, Any]], str] = _english,
                   row_text: Callable[[int, str], str] = _english_row) -> IO[bytes]:
    """A temporary file (rewound) holding the error workbook; the caller streams and closes it.
    ``describe`` says one problem and ``row_text`` a row's problems in the importer's language (the pages
    pass their translations, server/inbox/texts.py); the stored English otherwise."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    book = book_of(handle)
    sheet = book.add_worksheet("Errors")
    bold = book.add_format({"bold": True})
    header = list(row.options.get("header") or [])
    sheet.write_row(0, 0, [*header, ERRORS_HEADER], bold)
    for line, error in enumerate(errors, start=1):
        cells = list(error.cells) + [None] * (len(header) - len(error.cells))
        for column, value in enumerate(cells[:len(header)]):
            if value is None:
                continue
            if isinstance(value, bool | int | float):
                sheet.write(line, column, value)
            else:
                sheet.write_string(line, column, str(value))
        text = "; ".join(f"{p['column']} ({p['header']}): {describe(p)}" if p.get("column") else describe(p)
                         for p in error.problems)
        sheet.write_string(line, len(header), row_text(error.row_number, text))
    book.close()
    handle.seek(0)
    return handle


def template(definition: Mapping[str, Any], fields: list[Mapping[str, Any]], language: str) -> IO[bytes]:
    """Headers (labels in ``language``), one sample row, a drop-down of the options for select fields."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    book = xlsxwriter.Workbook(handle, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(definition["key"][:31])
    lists = book.add_worksheet("options")
    bold = book.add_format({"bold": True})
    chosen = [f for f in fields if f["type"] in CONVERTERS]
    list_column = 0
    for column, field_def in enumerate(chosen):
        label = field_def["label"].get(language) or field_def["label"]["en"]
        sheet.write_string(0, column, label, bold)
        sheet.set_column(column, column, max(12, min(40, len(label) + 4)))
        options = field_def.get("options")
        if options:
            labels = [o["label"].get(language) or o["label"]["en"] for o in options]
            sheet.write_string(1, column, labels[0])
            lists.write_column(0, list_column, labels)
            letter = xlsxwriter.utility.xl_col_to_name(list_column)
            if field_def["type"] == "select":
                sheet.data_validation(1, column, 100_000, column, {
                    "validate": "list", "source": f"=options!${letter}$1:${letter}${len(labels)}",
                    "error_title": label, "error_message": ", ".join(labels)[:255]})
            list_column += 1
        else:
            sample = SAMPLES.get(field_def["type"], "")
            if isinstance(sample, int):
                sheet.write_number(1, column, sample)
            else:
                sheet.write_string(1, column, sample)
        if field_def.get("help"):
            sheet.write_comment(0, column, field_def["help"].get(language) or field_def["help"]["en"])
    lists.hide()
    book.close()
    handle.seek(0)
    return handle
