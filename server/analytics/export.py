"""A chart's or a whole dashboard's data as CSV or xlsx, and why BOMS does not draw PNGs on the server.

The rows are exactly the chart data the viewer gets (their row scope, readable fields, the dashboard filters
and the drill-down in the request), with dimension labels and measure names in the reader's language. A
label starting with = + - @ (or tab, carriage return) is prefixed with ' so no spreadsheet runs it as a
formula. A dashboard's workbook has one sheet per chart, in the dashboard's order.

PNG: Bokeh's ``export_png`` drives a real browser through Selenium and a webdriver, which BOMS does not ship
on servers (Chromium + Playwright are test tools here). The picture is drawn where the chart already is,
in the viewer's browser: the PNG button on each chart (static/dashboard.js) and the chart toolbar's save
tool. A server request for a PNG is refused with that explanation (PngRefused), never answered with
something else.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from sqlalchemy.orm import Session

from server.analytics import service
from server.auth.permissions import Principal
from server.errors import BomsError
from server.records.imports.export import XLSX, neutral
from server.records.imports.workbooks import book_of

FORMATS = ("csv", "xlsx", "png")
PNG_REFUSAL = ("BOMS does not draw chart pictures on the server (Bokeh's PNG export needs a browser driven by "
               "Selenium, which servers here do not run): use the PNG button on the chart, or the save tool of "
               "its toolbar, which draw it in your browser")


class PngRefused(BomsError):
    status = 501
    code = "not_implemented"


KPI_PARTS = {"target": ("Target", "目标"), "previous": ("Previous period", "上期"), "change": ("Change", "变化")}


def table(body: Mapping[str, Any], locale: str) -> tuple[list[str], list[list[Any]]]:
    """A chart's data as a header (dimension labels, measure names) and rows (labels, values); a KPI's
    target, previous period and change follow its value."""
    header = [d["label"] for d in body["dimensions"]] + [m["label"] for m in body["measures"]]
    rows = []
    for row in body["rows"]:
        labels = [row.get(f"{d['key']}@label") for d in body["dimensions"]]
        rows.append([neutral(v) if isinstance(v, str) else v for v in labels]
                    + [row.get(m["key"]) for m in body["measures"]])
    kpi = body.get("kpi")
    if kpi and rows:
        parts = [name for name in KPI_PARTS if kpi.get(name) is not None]
        header += [KPI_PARTS[name][1 if locale == "zh" else 0] for name in parts]
        rows[0] += [kpi[name] for name in parts]
    return [neutral(h) for h in header], rows


def chart_csv(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str],
              locale: str) -> str:
    header, rows = table(service.chart_data(session, who, key, chart_key, args, locale), locale)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _sheet_name(title: str, key: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ , unique in the book (case-insensitively).
    name = "".join(" " if c in "[]:*?/\\" else c for c in (title or key)).strip()[:31] or key[:31]
    base, counter = name, 2
    while name.lower() in used:
        suffix = f" ({counter})"
        name = base[:31 - len(suffix)] + suffix
        counter += 1
    used.add(name.lower())
    return name


def _workbook(bodies: list[Mapping[str, Any]], locale: str) -> IO[bytes]:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    book = book_of(handle)
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "#,##0.##"})
    used: set[str] = set()
    for body in bodies:
        sheet = book.add_worksheet(_sheet_name(str(body.get("title") or ""), body["chart"], used))
        header, rows = table(body, locale)
        sheet.write_row(0, 0, header, bold)
        for line, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(line, column, value)
                elif isinstance(value, int | float):
                    sheet.write_number(line, column, value, number)
                else:
                    sheet.write_string(line, column, str(value))
    book.close()
    handle.seek(0)
    return handle


def chart_xlsx(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str],
               locale: str) -> IO[bytes]:
    """One chart's data as a workbook (a temporary file, rewound; the caller streams and closes it)."""
    return _workbook([service.chart_data(session, who, key, chart_key, args, locale)], locale)


def dashboard_xlsx(session: Session, who: Principal, key: str, args: Mapping[str, str],
                   locale: str) -> IO[bytes]:
    """Every chart of a dashboard, one sheet each, in the dashboard's order."""
    return _workbook(list(service.dashboard_data(session, who, key, args, locale).values()), locale)


def refuse_png(session: Session, who: Principal, key: str, chart_key: str) -> NoReturn:
    """The chart exists and may be seen (else 404 as for its data), but its picture is not drawn here."""
    service.chart_of(service.require_dashboard(session, who, key).definition, chart_key)
    raise PngRefused(PNG_REFUSAL, chart=chart_key)


__all__ = ["FORMATS", "XLSX", "PngRefused", "chart_csv", "chart_xlsx", "dashboard_xlsx", "refuse_png", "table"]
