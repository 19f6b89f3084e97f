"""What the designer's chart editor offers in its pickers: the sources, their fields, the chart types, the
aggregates each field kind allows, date buckets and colour palettes.

Built for one designer with their own read permissions (sources.resolve as a viewer, not as at save): a
record type they may not read is not offered, nor a field of it they may not see; audit events only to an
audit reader. The editor offers only what this lists; the save checks everything again (validate.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bokeh.palettes import Category10_10, Category20_20, Colorblind8, Set2_8, Spectral10, Viridis10
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.analytics.charttypes import AGGREGATES, NUMERIC_AGGREGATES, ORDERED_AGGREGATES, TYPES
from server.analytics.definition import KEY, MAX_FILTER_TEXT
from server.analytics.service import require_designer
from server.analytics.sources import BOOLEAN, DATE, DATETIME, NUMBER, TEXT, Source, filter_columns, resolve
from server.analytics.sqlparts import BUCKETS
from server.analytics.validate import GROUPABLE, check_filter
from server.auth.permissions import Principal, can_read_audit
from server.errors import BadRequest, BomsError, Forbidden, NotFound
from server.forms.limits import check_value
from server.models import ProcessVersion, RecordType

TYPE_LABELS = {
    "column": ("Column", "柱状图"), "bar": ("Horizontal bar", "条形图"), "line": ("Line", "折线图"),
    "area": ("Area", "面积图"), "stacked": ("Stacked columns", "堆积柱状图"),
    "grouped": ("Grouped columns", "分组柱状图"),
    "percent_stacked": ("100 % stacked", "百分比堆积图"), "multi_line": ("Multi-line", "多折线图"),
    "stacked_area": ("Stacked area", "堆积面积图"), "dual_axis": ("Dual axis (bars + line)", "双轴图（柱 + 线）"),
    "pie": ("Pie", "饼图"), "donut": ("Donut", "环形图"), "funnel": ("Funnel", "漏斗图"),
    "treemap": ("Treemap", "矩形树图"),
    "waterfall": ("Waterfall", "瀑布图"), "radar": ("Radar", "雷达图"), "scatter": ("Scatter", "散点图"),
    "bubble": ("Bubble", "气泡图"), "histogram": ("Histogram", "直方图"), "box": ("Box plot", "箱线图"),
    "heatmap": ("Heatmap", "热力图"), "gauge": ("Gauge", "仪表盘"), "kpi": ("KPI card", "指标卡"),
    "progress": ("Progress bar", "进度条"), "table": ("Table", "表格"), "pivot": ("Pivot table", "透视表"),
}
NOTES_ZH = {
    "one dimension (the categories), measures as series": "一个维度（分类），度量作为系列",
    "one dimension and several measures, or two dimensions (the second the series) and one measure":
        "一个维度和多个度量，或两个维度（第二个为系列）和一个度量",
    "one dimension and one measure": "一个维度和一个度量",
    "one dimension and one measure, or no dimension and measures as slices":
        "一个维度和一个度量，或不设维度、度量作为扇区",
    "no dimension; one measure (a second measure is the target)": "不设维度；一个度量（第二个度量为目标）",
    "one dimension and two measures (bars, then the line)": "一个维度和两个度量（先柱，后线）",
    "one dimension (the axes), measures as polygons": "一个维度（坐标轴），度量作为多边形",
    "one dimension (the points) and two measures (x, y)": "一个维度（点）和两个度量（x、y）",
    "one dimension (the points) and three measures (x, y, size)": "一个维度（点）和三个度量（x、y、大小）",
    "one numeric dimension with 'bins' and one measure": "一个带分箱（bins）的数值维度和一个度量",
    "at most one dimension and one measure with agg 'box' over a number": "至多一个维度，和一个对数值字段取 box 的度量",
    "two dimensions (x, y) and one measure": "两个维度（x、y）和一个度量",
    "up to three dimensions and measures": "至多三个维度，以及度量",
    "two dimensions (rows, columns) and measures": "两个维度（行、列）和度量",
}
AGGREGATE_LABELS = {
    "count": ("Count", "计数"), "count_distinct": ("Count distinct", "去重计数"), "sum": ("Sum", "求和"),
    "avg": ("Average", "平均值"), "min": ("Minimum", "最小值"), "max": ("Maximum", "最大值"),
    "median": ("Median", "中位数"), "p25": ("25th percentile", "25 百分位"), "p75": ("75th percentile", "75 百分位"),
    "p90": ("90th percentile", "90 百分位"), "p95": ("95th percentile", "95 百分位"),
    "box": ("Box (quartiles)", "箱线（四分位）"),
}
BUCKET_LABELS = {"day": ("Day", "日"), "week": ("Week", "周"), "month": ("Month", "月"), "quarter": ("Quarter", "季度"),
                 "year": ("Year", "年")}
PALETTES = {"category10": Category10_10, "category20": Category20_20, "colorblind8": Colorblind8, "set2": Set2_8,
            "spectral10": Spectral10, "viridis10": Viridis10}
SOURCE_LABELS = {"records": ("Records", "记录"), "process_instances": ("Process instances", "流程实例"),
                 "tasks": ("Tasks", "任务"), "audit_events": ("Audit events", "审计事件")}


def _pair(texts: tuple[str, str]) -> dict[str, str]:
    return {"en": texts[0], "zh": texts[1]}


def field_kinds(agg: str) -> list[str]:
    """The field kinds ``agg`` may take (the same rules as validate.py at save)."""
    if agg in NUMERIC_AGGREGATES:
        return [NUMBER]
    if agg in ORDERED_AGGREGATES:
        return [NUMBER, DATE, DATETIME]
    return sorted(GROUPABLE)


def _fields(source: Source) -> list[dict[str, Any]]:
    fields = []
    for key, column in source.columns.items():
        if column.kind not in GROUPABLE:
            continue  # lists and other kinds neither group nor aggregate
        entry: dict[str, Any] = {"key": key, "label": dict(column.label) or {"en": key, "zh": key},
                                 "kind": column.kind, "dimension": True}
        if column.currency is not None:
            entry["currency"] = column.currency  # summed only when the chart groups by it
        fields.append(entry)
    return fields


def _entry(spec: dict[str, Any], label: dict[str, str], source: Source) -> dict[str, Any]:
    return {"spec": spec, "label": label, "kind": spec["kind"], "fields": _fields(source),
            "filterNames": sorted(filter_columns(source, GROUPABLE)), "drillRecords": source.kind == "records"}


def _sources(session: Session, who: Principal) -> Iterator[dict[str, Any]]:
    kind_label = {k: _pair(v) for k, v in SOURCE_LABELS.items()}
    types = session.execute(select(RecordType).where(RecordType.is_latest.is_(True)).order_by(RecordType.key))
    for row in types.scalars():
        spec = {"kind": "records", "type": row.key}
        try:
            source = resolve(session, who, spec)
        except (Forbidden, NotFound):
            continue  # not theirs to read: not offered
        except BomsError:
            continue  # a type its charts cannot read either (the save says why); the others are still offered
        yield _entry(spec, {"en": f"{row.name_en} ({row.key})", "zh": f"{row.name_zh}（{row.key}）"}, source)
    processes = session.execute(select(ProcessVersion.key, ProcessVersion.name).where(
        ProcessVersion.is_latest.is_(True)).order_by(ProcessVersion.key)).all()
    yield _entry({"kind": "tasks"}, {"en": "All tasks", "zh": "全部任务"}, resolve(session, who, {"kind": "tasks"}))
    for key, name in processes:
        title = f"{name} ({key})" if name else key
        for kind in ("process_instances", "tasks"):
            spec = {"kind": kind, "process": key}
            yield _entry(spec, {lang: f"{kind_label[kind][lang]} · {title}" for lang in ("en", "zh")},
                         resolve(session, who, spec))
    if can_read_audit(who):
        yield _entry({"kind": "audit_events"}, kind_label["audit_events"], resolve(session, who,
                                                                                  {"kind": "audit_events"}))


def catalogue(session: Session, who: Principal) -> dict[str, Any]:
    """Everything the chart editor's pickers offer ``who`` (a designer), labelled in English and Chinese."""
    require_designer(who)
    return {
        "sources": list(_sources(session, who)),
        "sourceKinds": {k: _pair(v) for k, v in SOURCE_LABELS.items()},
        "types": [{"key": key, "label": _pair(TYPE_LABELS[key]), "dims": list(shape.dims),
                   "measures": list(shape.measures), "note": {"en": shape.note, "zh": NOTES_ZH[shape.note]}}
                  for key, shape in TYPES.items()],
        "aggregates": [{"key": agg, "label": _pair(AGGREGATE_LABELS[agg]), "kinds": field_kinds(agg),
                        "needsField": agg != "count"} for agg in AGGREGATES],
        "buckets": [{"key": b, "label": _pair(BUCKET_LABELS[b])} for b in BUCKETS],
        "palettes": {name: list(colors) for name, colors in PALETTES.items()},
        "variableKinds": [NUMBER, TEXT],
        "boolean": BOOLEAN,
    }


def check_chart_filter(session: Session, who: Principal, chart: str, spec: Any, text: str) -> None:
    """Chart ``chart``'s filter checked as the save checks it (against its source as the designer sees it at
    save); a BadRequest naming the field, or 'filter', when it does not compile."""
    require_designer(who)
    if not isinstance(chart, str) or not KEY.fullmatch(chart):
        raise BadRequest("'chart' must be a chart key (lower-case letters, digits and _)", field="chart")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_FILTER_TEXT:
        raise BadRequest(f"chart '{chart}': 'filter' must be a JEXL filter (at most {MAX_FILTER_TEXT} characters)",
                         chart=chart, field="filter")
    try:
        check_value(spec, "source")  # as the save's body check: no NUL (PostgreSQL cannot look it up), no NaN
        source = resolve(session, who, spec, design=True)
    except BomsError as exc:
        raise BadRequest(f"chart '{chart}': source: {exc.message}", chart=chart, field="source") from None
    check_filter(text.strip(), source, chart)
