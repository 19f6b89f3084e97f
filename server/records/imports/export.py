"""Export of a record list (filter, fields, sort) to .xlsx or .csv, with bounded memory at a million rows.

The rows come from the database in pages of ``BATCH`` (a server-side cursor), never all at once; a CSV is
streamed as it is produced (UTF-8 with BOM, so Excel opens Chinese text correctly); an .xlsx is written by
xlsxwriter in constant-memory mode to a temporary file and streamed from there. Only the fields the caller
may export are columns (hidden fields never leave the server), only the rows their scope allows are rows,
headers are in the caller's language, and a text cell starting with = + - @ (or tab, carriage return)
is prefixed with ' so no spreadsheet runs it as a formula. Every export is audited before its first byte.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import Database
from server.errors import BadRequest
from server.events import EventKind, SubjectType
from server.records import listing, me, money
from server.records.imports.workbooks import book_of
from server.records.links import read_through
from server.records.many import as_ids
from server.records.money import Money
from server.records.service import access
from server.records.storage import stored_fields

BATCH = 2000
FORMATS = ("xlsx", "csv")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISKY = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: str) -> str:
    return "'" + value if value[:1] in RISKY else value


@dataclass
class Export:
    file_name: str
    content_type: str
    rows: int
    body: Iterator[bytes]


def _label(field_def: Mapping[str, Any], language: str) -> str:
    return field_def["label"].get(language) or field_def["label"]["en"]


def _option_labels(field_def: Mapping[str, Any], language: str) -> dict[str, str]:
    return {o["value"]: o["label"].get(language) or o["label"]["en"] for o in field_def.get("options", [])}


def _cell(field_def: Mapping[str, Any], value: Any, labels: Mapping[str, str]) -> Any:
    """A column value as the file shows it: numbers stay numbers, dates dates, options their labels."""
    if value is None:
        return None
    kind = field_def["type"]
    if kind == "select":
        return labels.get(value, value)
    if kind == "multi_select":
        return ", ".join(labels.get(v, v) for v in value)
    if kind == "relation" and field_def.get("multiple"):  # the ids of the related records
        return ", ".join(map(str, as_ids(value))) or None
    if kind == "attachment":  # the files' names (the files themselves stay on the record)
        return ", ".join(str(item.get("name", "")) for item in value) or None
    if isinstance(value, Money):  # one text cell "1200.50 USD": exact, and no sheet sums two currencies
        return f"{value.amount:.{int(field_def.get('scale', 2))}f} {value.currency}"
    if kind == "boolean":
        return bool(value)
    if isinstance(value, str):
        return neutral(value)
    return value


def fold(fields: list[Mapping[str, Any]], mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """A row with each per-record-currency amount joined with its code (server/records/money.py)."""
    return money.fold({"fields": fields}, mapping) if any(money.per_record(f) for f in fields) else mapping


def filter_columns(columns: Mapping[str, Any], exportable: frozenset[str]) -> dict[str, Any]:
    """What an export's filter and sort may name: the list's own columns (the same compiler, ``$me`` for the
    exporting user) limited to the fields they may export; a path (``price.currency``, ``customer.region``)
    goes with the field it starts from."""
    return {k: v for k, v in columns.items()
            if k.split(".")[0] in exportable or k in listing.SYSTEM_COLUMNS or me.is_me(k)}


def _plan(session: Session, who: Principal, type_key: str, filter_text: str | None, fields_text: str | None,
          sort: str | None) -> tuple[Any, list[Mapping[str, Any]], Any, int]:
    a = access(session, who, type_key, Action.EXPORT)
    exportable = a.fields(Action.EXPORT)
    # lookups, rollups over related records and relations to many are read in SQL as the record JSON reads
    # them; one through a type the exporter may not read has no value for them, so it is no column
    through = read_through(session, who, a.definition, a.table, exportable)
    stored = {f["key"] for f in stored_fields(a.definition)}
    fields = [f for f in a.definition["fields"] if f["key"] in exportable
              and (f["key"] in stored or f["key"] in through.computed)]
    if fields_text:
        wanted = [name.strip() for name in fields_text.split(",") if name.strip()]
        by_key = {f["key"]: f for f in fields}
        unknown = [name for name in wanted if name not in by_key]
        if unknown:
            raise BadRequest(f"fields: no field(s) {', '.join(unknown)} you can export (fields: "
                             f"{', '.join(by_key)})", field="fields")
        fields = [by_key[name] for name in dict.fromkeys(wanted)]
    columns = filter_columns(a.columns(), exportable)
    order = listing.order_of(sort, {k: v for k, v in columns.items() if not me.is_me(k)}, a.table)
    wanted_keys = {f["key"] for f in fields}
    computed = [expression for key, (expression, _) in through.computed.items() if key in wanted_keys]
    statement = select(a.table, *computed).where(a.policy.row_filter(who, Action.EXPORT, a.table.c))
    if filter_text:
        statement = statement.where(listing.filter_clause(filter_text, columns))
    count = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    # each column converts by the field its value is (a lookup of a select shows the option's label) and is
    # headed by its own label
    shown = [{**through.computed[f["key"]][1], "label": f["label"]} if f["key"] in through.computed else f
             for f in fields]
    return a, shown, statement.order_by(*order.clauses()), count


def _rows(database: Database, statement: Any) -> Iterator[Mapping[str, Any]]:
    with database.read() as session:
        result = session.execute(statement.execution_options(yield_per=BATCH))
        for row in result:
            yield row._mapping


def _csv(database: Database, statement: Any, fields: list[Mapping[str, Any]], language: str) -> Iterator[bytes]:
    labels = [_option_labels(f, language) for f in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ID", *(neutral(_label(f, language)) for f in fields)])
    yield ("\ufeff" + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    for number, mapping in enumerate(_rows(database, statement), start=1):
        mapping = fold(fields, mapping)
        values = [_cell(f, mapping[f["key"]], lab) for f, lab in zip(fields, labels, strict=True)]
        writer.writerow([mapping["id"], *("" if v is None else _text(v) for v in values)])
        if number % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(" ", "seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx(database: Database, statement: Any, fields: list[Mapping[str, Any]], language: str) -> IO[bytes]:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    book = book_of(handle)
    sheet = book.add_worksheet("records")
    bold = book.add_format({"bold": True})
    formats = {"date": book.add_format({"num_format": "yyyy-mm-dd"}),
               "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})}
    for f in fields:  # every exact number (money, decimal, formula, rollup) keeps its scale in the sheet
        if f["type"] in ("money", "decimal", "percent", "formula", "rollup"):
            scale = int(f.get("scale", 2 if f["type"] in ("money", "percent") else 4))
            formats[f["key"]] = book.add_format({"num_format": "#,##0" + ("." + "0" * scale if scale else "")})
    sheet.write_row(0, 0, ["ID", *(_label(f, language) for f in fields)], bold)
    labels = [_option_labels(f, language) for f in fields]
    for line, mapping in enumerate(_rows(database, statement), start=1):
        mapping = fold(fields, mapping)
        sheet.write_number(line, 0, mapping["id"])
        for column, (f, lab) in enumerate(zip(fields, labels, strict=True), start=1):
            value = _cell(f, mapping[f["key"]], lab)
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(line, column, value)
            elif isinstance(value, Decimal):
                sheet.write_number(line, column, float(value), formats.get(f["key"]))
            elif isinstance(value, int):
                sheet.write_number(line, column, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(line, column, value, formats["datetime"])
            elif isinstance(value, date):
                sheet.write_datetime(line, column, value, formats["date"])
            else:
                sheet.write_string(line, column, str(value))
    book.close()
    handle.seek(0)
    return handle


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while block := handle.read(1 << 16):
            yield block


def export(database: Database, who: Principal, type_key: str, file_format: str, filter_text: str | None,
           fields_text: str | None, sort: str | None, language: str) -> Export:
    """Check and audit the export now; the body is produced as it is read (CSV) or from a temporary file."""
    if file_format not in FORMATS:
        raise BadRequest(f"format must be xlsx or csv, not {file_format!r}", field="format")
    with database.write() as session:
        a, fields, statement, count = _plan(session, who, type_key, filter_text, fields_text, sort)
        publish(session, Event(EventKind.RECORD_EXPORTED, who.username, subject_type=SubjectType.RECORD,
                               subject_id=type_key, data={"type": type_key, "format": file_format,
                                                          "filter": filter_text, "fields": [f["key"] for f in fields],
                                                          "sort": sort, "rows": count}))
    name = f"{type_key}.{file_format}"
    if file_format == "csv":
        return Export(name, "text/csv; charset=utf-8", count, _csv(database, statement, fields, language))
    return Export(name, XLSX, count,
                  file_chunks(_xlsx(database, statement, fields, language)))
