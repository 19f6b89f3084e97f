"""A figure's request parameters as WHERE clauses: dashboard filters (date range, select, me) and drill-down.

    ?period.from=2026-01-01&period.to=2026-03-31   a date_range filter (both days included)
    ?region=north                                  a select filter
    ?mine=1                                        a "me" filter: the field holds the viewer's user name
    ?by.region=north&by.signed_on:month=2026-03-01 drill-down: the clicked dimension values

Every parameter must be one of these: an unknown one is refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_

from server.analytics.aggregate import OTHERS
from server.analytics.sources import BOOLEAN, DATE, DATETIME, NUMBER, Source
from server.analytics.sqlparts import BUCKETS, bucket_range
from server.auth.permissions import Principal
from server.errors import BadRequest

DRILL = "by."
MAX_VALUE = 255


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"'{name}' must be a date (YYYY-MM-DD), not {text[:40]!r}", field=name) from None


def typed(source: Source, field: str, text: str, name: str) -> Any:
    """A parameter's text as a value of the column's kind; '' is empty (NULL)."""
    if len(text) > MAX_VALUE:
        raise BadRequest(f"'{name}' is longer than {MAX_VALUE} characters", field=name)
    if text == "":
        return None
    kind = source.columns[field].kind
    if kind == NUMBER:
        try:
            return float(text)
        except ValueError:
            raise BadRequest(f"'{name}' must be a number", field=name) from None
    if kind == BOOLEAN:
        if text not in ("true", "false"):
            raise BadRequest(f"'{name}' must be true or false", field=name)
        return text == "true"
    if kind == DATE:
        return _day(text, name)
    if kind == DATETIME:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"'{name}' must be a date and time (ISO 8601)", field=name) from None
    return text


def _equals(expr: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    return expr.is_(None) if value is None else expr == value


def _range(source: Source, field: str, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """``first <= field < last`` (dates or datetimes; a date range's `to` day is included by the caller)."""
    column = source.columns[field]
    clauses = []
    if first is not None:
        clauses.append(column.expr >= (first if column.kind == DATE else datetime.combine(first, datetime.min.time())))
    if last is not None:
        clauses.append(column.expr < (last if column.kind == DATE else datetime.combine(last, datetime.min.time())))
    return clauses


def dashboard_filters(definition: Mapping[str, Any], chart: Mapping[str, Any], source: Source, who: Principal,
                      args: Mapping[str, str]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for f in definition["filters"]:
        bound = chart["key"] in f["charts"] if "charts" in f else f["field"] in source.columns
        key = f["key"]
        if not bound or f["field"] not in source.columns:
            continue
        if f["kind"] == "date_range":
            first = _day(args[f"{key}.from"], f"{key}.from") if args.get(f"{key}.from") else None
            last = _day(args[f"{key}.to"], f"{key}.to") + timedelta(days=1) if args.get(f"{key}.to") else None
            clauses += _range(source, f["field"], first, last)
        elif f["kind"] == "select" and args.get(key) is not None:
            clauses.append(_equals(source.columns[f["field"]].expr, typed(source, f["field"], args[key], key)))
        elif f["kind"] == "me" and args.get(key) in ("1", "true"):
            clauses.append(source.columns[f["field"]].expr == who.username)
    return clauses


def known_parameters(definition: Mapping[str, Any]) -> set[str]:
    names = set()
    for f in definition["filters"]:
        names |= {f"{f['key']}.from", f"{f['key']}.to"} if f["kind"] == "date_range" else {f["key"]}
    return names


def check_parameters(definition: Mapping[str, Any], args: Mapping[str, str], extra: set[str] = frozenset()) -> None:
    known = known_parameters(definition) | set(extra)
    unknown = sorted(n for n in args if n not in known and not n.startswith(DRILL))
    if unknown:
        raise BadRequest(f"unknown parameter(s) {', '.join(unknown)} (dashboard filters: "
                         f"{', '.join(sorted(known_parameters(definition))) or 'none'}; drill-down: by.FIELD)",
                         field=unknown[0])


def drill_filters(source: Source, args: Mapping[str, str]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for name, text in args.items():
        if not name.startswith(DRILL):
            continue
        field, _, unit = name[len(DRILL):].partition(":")
        if field not in source.columns:
            raise BadRequest(f"drill-down: no field '{field}' in {source.describe()}", field=name)
        if text == OTHERS:
            raise BadRequest("drill-down into \"others\" is not possible: it is the rest of the groups", field=name)
        if unit:
            if unit not in BUCKETS or source.columns[field].kind not in (DATE, DATETIME):
                raise BadRequest(f"drill-down: '{unit}' is not a date bucket of '{field}'", field=name)
            first, last = bucket_range(text, unit)
            clauses += _range(source, field, first, last)
            continue
        clauses.append(_equals(source.columns[field].expr, typed(source, field, text, name)))
    return [and_(*clauses)] if clauses else []
