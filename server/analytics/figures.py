"""A chart's data: its definition and the request's filters turned into aggregation queries, as JSON rows.

What GET /dashboards/{key}/charts/{chart}/data returns and what the Bokeh renderer draws from:

    {"chart": "by_region", "type": "column",
     "dimensions": [{"key": "region", "label": "Region"}], "measures": [{"key": "sum_amount", "label": ...}],
     "rows": [{"region": "north", "region@label": "North", "sum_amount": 1200.0}, ...]}

plus, by type: "bins" (histogram), "totals" (pivot), "kpi" (value, target, previous, change).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from server.analytics.aggregate import Dimension, Measure, Query, label_of, run, total, totals_within
from server.analytics.charttypes import BOX_PARTS
from server.analytics.sources import Source, filter_columns
from server.analytics.sqlparts import bucket_range
from server.analytics.validate import check_filter
from server.db import utcnow
from server.errors import Forbidden
from server.expressions import compile_filter

AGG_LABELS = {
    "count": ("Count", "数量"), "count_distinct": ("Distinct", "去重数"), "sum": ("Sum", "合计"),
    "avg": ("Average", "平均"), "min": ("Minimum", "最小"), "max": ("Maximum", "最大"),
    "median": ("Median", "中位数"), "p25": ("25th percentile", "25 分位"), "p75": ("75th percentile", "75 分位"),
    "p90": ("90th percentile", "90 分位"), "p95": ("95th percentile", "95 分位"),
}


def _text(texts: Mapping[str, str] | None, locale: str) -> str:
    return "" if not texts else texts.get(locale) or texts.get("en", "")


def measure_label(measure: Mapping[str, Any], source: Source, locale: str) -> str:
    if measure.get("label"):
        return _text(measure["label"], locale)
    en, zh = AGG_LABELS[measure["agg"]]
    if "field" not in measure:
        return zh if locale == "zh" else en
    field = _text(source.columns[measure["field"]].label, locale) or measure["field"]
    return f"{field}{zh}" if locale == "zh" else f"{en} of {field}"


def dimension_label(dim: Mapping[str, Any], source: Source, locale: str) -> str:
    return _text(dim.get("label"), locale) or _text(source.columns[dim["field"]].label, locale) or dim["field"]


def require_fields(chart: Mapping[str, Any], source: Source) -> None:
    """A field the viewer may not read cannot be charted for them (403 naming it, never its values)."""
    names = [d["field"] for d in chart["dimensions"]] + [m["field"] for m in chart["measures"] if "field" in m]
    if "compare" in chart:
        names.append(chart["compare"]["field"])
    for name in names:
        if name not in source.columns:
            raise Forbidden(f"chart '{chart['key']}': you may not read the field '{name}' it charts",
                            chart=chart["key"], field=name)


def chart_where(chart: Mapping[str, Any], source: Source) -> list[ColumnElement[bool]]:
    if "filter" not in chart:
        return []
    check_filter(chart["filter"], source, chart["key"])  # a hidden field in the filter: refused as unknown
    return [compile_filter(chart["filter"], filter_columns(source))]


def _measures(chart: Mapping[str, Any]) -> list[Measure]:
    if chart["type"] == "box":
        field = chart["measures"][0]["field"]
        return [Measure(part, field) for part in BOX_PARTS]
    return [Measure(m["agg"], m.get("field")) for m in chart["measures"]]


def _period(day: date, unit: str, back: int) -> tuple[date, date]:
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    start_month = (day.month - 1) // months * months if unit != "year" else 0
    index = day.year * 12 + start_month - back * months
    return bucket_range(date(index // 12, index % 12 + 1, 1).isoformat(), unit)


def _kpi(session: Session, chart: Mapping[str, Any], source: Source, where: list[ColumnElement[bool]],
         measures: list[Measure]) -> dict[str, Any]:
    def value(extra: list[ColumnElement[bool]]) -> list[Any]:
        return total(session, Query(source, [], measures, [*where, *extra]))

    result: dict[str, Any] = {}
    compare = chart.get("compare")
    if compare:
        column = source.columns[compare["field"]]
        today = utcnow().date()
        spans = [_period(today, compare["period"], back) for back in (0, 1)]

        def within(span: tuple[date, date]) -> ColumnElement[bool]:
            first, last = span
            return and_(column.expr >= first, column.expr < last)

        # Both periods in one query (FILTER per period) over the one range they make together (the previous
        # period ends where this one starts), so the date field's index is read once, as one range.
        envelope = [column.expr >= spans[1][0], column.expr < spans[0][1]]
        both = totals_within(session, Query(source, [], measures, [*where, *envelope]),
                             [within(spans[0]), within(spans[1])])
        current, previous = both if both is not None else (value([within(spans[0])]), value([within(spans[1])]))
        result.update(period=[spans[0][0].isoformat(), spans[0][1].isoformat()], previous=previous[0])
    else:
        current = value([])
    result["value"] = current[0]
    target = current[1] if len(current) > 1 else chart.get("target")
    result["target"] = target
    if compare and result["previous"] not in (None, 0) and current[0] is not None:
        result["change"] = (current[0] - result["previous"]) / abs(result["previous"])
    return result


def _pivot_totals(session: Session, source: Source, dims: list[Dimension], measures: list[Measure],
                  where: list[ColumnElement[bool]], locale: str) -> dict[str, Any]:
    """Totals per row value, per column value and overall, each its own query (an average's total is the
    average over the rows, not a sum of averages)."""
    def side(dim: Dimension) -> list[dict[str, Any]]:
        result = run(session, Query(source, [dim], measures, where))
        return [{"value": r[0], "label": label_of(dim, r[0], source, locale),
                 **{m.key: r[1 + i] for i, m in enumerate(measures)}} for r in result.rows]

    grand = total(session, Query(source, [], measures, where))
    return {"rows": side(dims[0]), "columns": side(dims[1]), "grand": {m.key: grand[i] for i, m in enumerate(measures)}}


def figure(session: Session, chart: Mapping[str, Any], source: Source, where: list[ColumnElement[bool]],
           locale: str) -> dict[str, Any]:
    """The chart's rows for the viewer whose source this is, filtered by ``where`` (dashboard, drill-down)."""
    require_fields(chart, source)
    where = [*chart_where(chart, source), *where]
    dims = [Dimension(d["field"], d.get("bucket"), d.get("bins")) for d in chart["dimensions"]]
    measures = _measures(chart)
    measure_defs = ([{"agg": m.agg, "field": m.field} for m in measures] if chart["type"] == "box"
                    else chart["measures"])
    body: dict[str, Any] = {
        "chart": chart["key"], "type": chart["type"], "title": _text(chart["title"], locale), "locale": locale,
        "dimensions": [{"key": d.key, "field": d.field, "bucket": d.bucket, "label": dimension_label(raw, source,
                                                                                                    locale)}
                       for d, raw in zip(dims, chart["dimensions"], strict=True)],
        "measures": [{"key": m.key, "agg": m.agg, "label": measure_label(raw, source, locale)}
                     for m, raw in zip(measures, measure_defs, strict=True)],
    }
    if chart["type"] in ("kpi", "gauge", "progress"):
        body["kpi"] = _kpi(session, chart, source, where, measures)
        body["rows"] = [{measures[0].key: body["kpi"]["value"]}]
        return body
    order = "value" if chart.get("sort") == "value" else "dimension"
    result = run(session, Query(source, dims, measures, where, chart.get("top"), chart.get("others", False), order))
    rows = []
    for values in result.rows:
        row: dict[str, Any] = {}
        for i, d in enumerate(dims):
            row[d.key] = values[i]
            if result.bins is not None and d.bins:
                low, high = result.bins[values[i]]
                row[f"{d.key}@label"] = f"{low:,.2f}–{high:,.2f}"
            else:
                row[f"{d.key}@label"] = label_of(d, values[i], source, locale)
        for j, m in enumerate(measures):
            row[m.key] = values[len(dims) + j]
        rows.append(row)
    body["rows"] = rows
    if result.bins is not None:
        body["bins"] = result.bins
    if chart["type"] == "pivot":
        body["totals"] = _pivot_totals(session, source, dims, measures, where, locale)
    return body
