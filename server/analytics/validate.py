"""A dashboard checked against the database at save: every field exists in its chart's source and fits the
aggregate, every filter compiles, every drill-down leads somewhere. Refused naming the chart and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.analytics.charttypes import NUMERIC_AGGREGATES, ORDERED_AGGREGATES
from server.analytics.sources import (
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    Source,
    filter_columns,
    mixed_currency,
    resolve,
)
from server.auth.permissions import Principal
from server.errors import BadRequest, BomsError
from server.expressions import ExpressionError, FilterError, UnknownNameError, compile_filter

GROUPABLE = frozenset({NUMBER, TEXT, DATE, DATETIME, BOOLEAN})


def _bad(chart: str, field: str, message: str) -> BadRequest:
    return BadRequest(f"chart '{chart}': {message}", chart=chart, field=field)


def _column(source: Source, chart: str, name: str, role: str) -> str:
    if name not in source.columns:
        known = ", ".join(sorted(source.columns))
        raise _bad(chart, name, f"{role} field '{name}' is not in {source.describe()} (fields: {known})")
    return source.columns[name].kind


def check_filter(text: str, source: Source, chart: str) -> None:
    columns = filter_columns(source, GROUPABLE)
    try:
        compile_filter(text, columns)
    except UnknownNameError as exc:
        raise _bad(chart, exc.name, f"filter: no field '{exc.name}' in {source.describe()}") from None
    except (FilterError, ExpressionError) as exc:
        raise _bad(chart, "filter", f"filter: {exc}") from None


def _check_chart(chart: Mapping[str, Any], source: Source, charts: Mapping[str, Mapping[str, Any]]) -> None:
    key = chart["key"]
    for dim in chart["dimensions"]:
        kind = _column(source, key, dim["field"], "dimension")
        if kind not in GROUPABLE:
            raise _bad(key, dim["field"], f"cannot group by '{dim['field']}' (a {kind} field)")
        if "bucket" in dim and kind not in (DATE, DATETIME):
            raise _bad(key, dim["field"], f"a '{dim['bucket']}' bucket needs a date field; '{dim['field']}' is "
                                          f"{kind}")
        problem = mixed_currency(source, "group by", dim["field"], [d["field"] for d in chart["dimensions"]])
        if problem:
            raise _bad(key, dim["field"], problem)
        if "bins" in dim and kind != NUMBER:
            raise _bad(key, dim["field"], f"histogram bins need a number field; '{dim['field']}' is {kind}")
    if chart["type"] == "histogram" and "bins" not in chart["dimensions"][0]:
        raise _bad(key, chart["dimensions"][0]["field"], "a histogram's dimension needs 'bins'")
    for measure in chart["measures"]:
        agg, name = measure["agg"], measure.get("field")
        if (agg == "box") != (chart["type"] == "box"):
            raise _bad(key, name or "agg", "the 'box' aggregate is for box charts, and a box chart takes only it")
        if name is None:
            continue
        kind = _column(source, key, name, f"{agg} of")
        if agg in NUMERIC_AGGREGATES and kind != NUMBER:
            raise _bad(key, name, f"cannot {agg} '{name}': it is a {kind} field, not a number")
        if agg in ORDERED_AGGREGATES and kind not in (NUMBER, DATE, DATETIME):
            raise _bad(key, name, f"cannot take the {agg} of '{name}': it is a {kind} field")
        if kind not in GROUPABLE:
            raise _bad(key, name, f"cannot aggregate '{name}' (a {kind} field)")
        problem = mixed_currency(source, agg, name, [d["field"] for d in chart["dimensions"]])
        if problem:
            raise _bad(key, name, problem)
    if "filter" in chart:
        check_filter(chart["filter"], source, key)
    if "compare" in chart:
        kind = _column(source, key, chart["compare"]["field"], "compare")
        if kind not in (DATE, DATETIME):
            raise _bad(key, chart["compare"]["field"], "'compare' needs a date field")
    drill = chart.get("drill")
    if drill and "chart" in drill:
        target = charts.get(drill["chart"])
        if target is None or drill["chart"] == key:
            raise _bad(key, "drill", f"drill-down to chart '{drill['chart']}', which is not another chart of "
                                     "this dashboard")
        if target["source"] != chart["source"]:
            raise _bad(key, "drill", f"drill-down to chart '{drill['chart']}', which has another source")
        if not chart["dimensions"]:
            raise _bad(key, "drill", "a drill-down needs a dimension to click")
    if drill and "records" in drill:
        if source.kind != "records":
            raise _bad(key, "drill", "a drill-down to the records needs a record type source")
        if not chart["dimensions"]:
            raise _bad(key, "drill", "a drill-down needs a dimension to click")


def check(session: Session, who: Principal, definition: Mapping[str, Any]) -> None:
    charts = {c["key"]: c for c in definition["charts"]}
    sources: dict[str, Source] = {}
    for chart in definition["charts"]:
        try:
            source = resolve(session, who, chart["source"], design=True)
        except BomsError as exc:
            raise BadRequest(f"chart '{chart['key']}': source: {exc.message}", chart=chart["key"],
                             field="source") from None
        sources[chart["key"]] = source
        _check_chart(chart, source, charts)
    for f in definition["filters"]:
        if "charts" not in f and not any(f["field"] in s.columns for s in sources.values()):
            raise BadRequest(f"dashboard filter '{f['key']}': no chart has the field '{f['field']}'",
                             field=f["field"])
        bound = f.get("charts", sorted(charts))
        for name in bound:
            if name not in charts:
                raise BadRequest(f"dashboard filter '{f['key']}': no chart '{name}'", field=f["key"])
            kind = _column(sources[name], name, f["field"], f"dashboard filter '{f['key']}'") \
                if "charts" in f or f["field"] in sources[name].columns else None
            if kind is None:
                continue
            if f["kind"] == "date_range" and kind not in (DATE, DATETIME):
                raise _bad(name, f["field"], f"dashboard filter '{f['key']}' is a date range; '{f['field']}' is "
                                             f"{kind}")
            if f["kind"] == "me" and kind != TEXT:
                raise _bad(name, f["field"], f"dashboard filter '{f['key']}' (me) needs a user name field")
