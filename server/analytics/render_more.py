"""The charts Bokeh has no one glyph for, drawn from its primitives (wedges, quads, patches, text), and the
table and pivot (Bokeh's DataTable)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bokeh.core.properties import value as fixed
from bokeh.models import (
    ColumnDataSource,
    DataTable,
    FactorRange,
    HoverTool,
    LinearColorMapper,
    NumberFormatter,
    TableColumn,
)
from bokeh.palettes import Blues9

from server.analytics.render import categories, clickable, palette, plot, series_matrix, unique
from server.analytics.shapes import gauge_angle, radar_axes, radar_points, treemap


def _blank(fig: Any) -> Any:
    fig.axis.visible = False
    fig.grid.visible = False
    fig.outline_line_color = None
    return fig


def _values(data: Mapping[str, Any], index: int = 0) -> list[float]:
    key = data["measures"][index]["key"]
    return [float(r[key] or 0) for r in data["rows"]]


def _urls(data: Mapping[str, Any]) -> list[str | None]:
    return [r.get("@url") for r in data["rows"]]


def _pie(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    if data["dimensions"]:
        labels, values, urls = categories(data), _values(data), _urls(data)
    else:  # the measures are the slices (a cost structure: material, labour, other)
        row = data["rows"][0] if data["rows"] else {}
        labels = [m["label"] for m in data["measures"]]
        values, urls = [float(row.get(m["key"]) or 0) for m in data["measures"]], [None] * len(labels)
    whole = sum(v for v in values if v > 0) or 1.0
    starts, ends, angle = [], [], 0.0
    for v in values:
        starts.append(angle)
        angle += 2 * math.pi * max(v, 0) / whole
        ends.append(angle)
    source = ColumnDataSource({"label": labels, "value": values, "start": starts, "end": ends,
                               "share": [max(v, 0) / whole for v in values],
                               "color": palette(chart, len(values))[:len(values)],
                               "url": urls})
    fig = _blank(plot(data["title"], x_range=(-1.1, 1.6), y_range=(-1.1, 1.1), match_aspect=True))
    if kind == "donut":
        wedges = fig.annular_wedge(0, 0, inner_radius=0.5, outer_radius=1.0, start_angle="start", end_angle="end",
                                   color="color", legend_field="label", source=source)
    else:
        wedges = fig.wedge(0, 0, radius=1.0, start_angle="start", end_angle="end", color="color",
                           line_color="white", legend_field="label", source=source)
    fig.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@value{0,0.[00]}"), ("", "@share{0.0%}")],
                            renderers=[wedges]))
    clickable(fig, source.data["url"], [wedges])
    return fig


def _funnel(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    labels, values = categories(data), _values(data)
    top = max(values or [1]) or 1.0
    count = len(values)
    source = ColumnDataSource({"label": labels, "value": values, "left": [-v / top / 2 for v in values],
                               "right": [v / top / 2 for v in values], "bottom": [count - i - 1 for i in range(count)],
                               "top": [count - i - 0.1 for i in range(count)], "color": palette(chart, count),
                               "mid": [count - i - 0.55 for i in range(count)], "url": _urls(data),
                               "text": [f"{lab}: {v:,.0f}" for lab, v in zip(labels, values, strict=True)]})
    fig = _blank(plot(data["title"], x_range=(-0.6, 0.6)))
    quads = fig.quad(left="left", right="right", bottom="bottom", top="top", color="color", source=source)
    fig.text(x=0, y="mid", text="text", text_align="center", text_baseline="middle", source=source,
             text_font_size="11px")
    fig.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@value{0,0.[00]}")], renderers=[quads]))
    clickable(fig, source.data["url"], [quads])
    return fig


def _treemap(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    pairs = sorted(zip(categories(data), _values(data), _urls(data), strict=True), key=lambda p: -p[1])
    boxes = treemap([p[1] for p in pairs], 0, 0, 100, 60)
    source = ColumnDataSource({"label": [p[0] for p in pairs], "value": [p[1] for p in pairs],
                               "url": [p[2] for p in pairs], "left": [b[0] for b in boxes],
                               "bottom": [b[1] for b in boxes], "right": [b[2] for b in boxes],
                               "top": [b[3] for b in boxes], "x": [(b[0] + b[2]) / 2 for b in boxes],
                               "y": [(b[1] + b[3]) / 2 for b in boxes], "color": palette(chart, len(pairs))})
    fig = _blank(plot(data["title"], x_range=(0, 100), y_range=(0, 60)))
    quads = fig.quad(left="left", right="right", bottom="bottom", top="top", fill_color="color",
                     line_color="white", line_width=2, source=source)
    fig.text(x="x", y="y", text="label", text_align="center", text_baseline="middle", text_color="white",
             text_font_size="11px", source=source)
    fig.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@value{0,0.[00]}")], renderers=[quads]))
    clickable(fig, source.data["url"], [quads])
    return fig


def _waterfall(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    labels, values = unique(categories(data)), _values(data)
    bottoms, tops, running = [], [], 0.0
    for v in values:
        bottoms.append(min(running, running + v))
        tops.append(max(running, running + v))
        running += v
    total_label = "Σ"
    labels_all = [*labels, total_label]
    colors = ["#2ca02c" if v >= 0 else "#d62728" for v in values] + ["#1f77b4"]
    source = ColumnDataSource({"cat": labels_all, "bottom": [*bottoms, min(0.0, running)],
                               "top": [*tops, max(0.0, running)], "value": [*values, running], "color": colors,
                               "url": [*_urls(data), None]})
    fig = plot(data["title"], x_range=FactorRange(*labels_all))
    bars = fig.vbar(x="cat", bottom="bottom", top="top", width=0.7, color="color", source=source)
    fig.add_tools(HoverTool(tooltips=[("", "@cat"), ("", "@value{0,0.[00]}")], renderers=[bars]))
    clickable(fig, source.data["url"], [bars])
    return fig


def _radar(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    cats, series, values, _ = series_matrix(data)
    top = max([v for row in values for v in row] or [1]) or 1.0
    fig = _blank(plot(data["title"], x_range=(-1.3, 1.3), y_range=(-1.2, 1.2), match_aspect=True))
    axes = radar_axes(len(cats))
    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_x, ring_y = radar_points([top * ring] * len(cats), top)
        fig.line(ring_x, ring_y, line_color="#cccccc")
    for x, y in axes:
        fig.segment(0, 0, x, y, line_color="#cccccc")
    fig.text(x=[x * 1.12 for x, _ in axes], y=[y * 1.08 for _, y in axes], text=cats, text_align="center",
             text_baseline="middle", text_font_size="11px")
    colors = palette(chart, len(series))
    for label, row, color in zip(series, values, colors, strict=True):
        xs, ys = radar_points(row, top)
        fig.patch(xs, ys, fill_color=color, fill_alpha=0.25, line_color=color, line_width=2, legend_label=label)
    return fig


def _scatter(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    measures = data["measures"]
    xs, ys = _values(data, 0), _values(data, 1)
    sizes = [12.0] * len(xs)
    if kind == "bubble":
        raw = _values(data, 2)
        big = max(raw or [1]) or 1.0
        sizes = [8 + 42 * math.sqrt(max(v, 0) / big) for v in raw]
    source = ColumnDataSource({"x": xs, "y": ys, "size": sizes, "label": categories(data), "url": _urls(data)})
    fig = plot(data["title"], x_axis_label=measures[0]["label"], y_axis_label=measures[1]["label"])
    dots = fig.scatter("x", "y", size="size", source=source, fill_alpha=0.6, color=palette(chart, 1)[0])
    tips = [("", "@label"), (measures[0]["label"], "@x{0,0.[00]}"), (measures[1]["label"], "@y{0,0.[00]}")]
    fig.add_tools(HoverTool(tooltips=tips, renderers=[dots]))
    clickable(fig, source.data["url"], [dots])
    return fig


def _histogram(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    bins = data.get("bins") or []
    source = ColumnDataSource({"left": [b[0] for b in bins], "right": [b[1] for b in bins], "value": _values(data),
                               "label": categories(data)})
    fig = plot(data["title"], x_axis_label=data["dimensions"][0]["label"])
    quads = fig.quad(left="left", right="right", bottom=0, top="value", source=source, line_color="white",
                     fill_color=palette(chart, 1)[0])
    fig.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@value{0,0}")], renderers=[quads]))
    return fig


def _box(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    labels = unique(categories(data)) if data["dimensions"] else ["·"] * len(data["rows"])
    low, q1, q2, q3, high = (_values(data, i) for i in range(5))
    source = ColumnDataSource({"cat": labels, "low": low, "q1": q1, "q2": q2, "q3": q3, "high": high,
                               "url": _urls(data)})
    fig = plot(data["title"], x_range=FactorRange(*labels))
    fig.segment("cat", "low", "cat", "high", source=source, line_color="#555555")
    boxes = fig.vbar(x="cat", bottom="q1", top="q3", width=0.6, source=source, fill_color=palette(chart, 1)[0],
                     fill_alpha=0.6, line_color="#555555")
    fig.rect(x="cat", y="q2", width=0.6, height=0.001, source=source, line_color="black", line_width=2,
             height_units="screen")
    fig.add_tools(HoverTool(tooltips=[("", "@cat"), ("max", "@high{0,0.[00]}"), ("p75", "@q3{0,0.[00]}"),
                                      ("median", "@q2{0,0.[00]}"), ("p25", "@q1{0,0.[00]}"),
                                      ("min", "@low{0,0.[00]}")], renderers=[boxes]))
    clickable(fig, source.data["url"], [boxes])
    return fig


def _heatmap(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    xkey, ykey = (d["key"] for d in data["dimensions"])
    value = data["measures"][0]["key"]
    xs = list(dict.fromkeys(r[f"{xkey}@label"] for r in data["rows"]))
    ys = list(dict.fromkeys(r[f"{ykey}@label"] for r in data["rows"]))
    values = [float(r[value] or 0) for r in data["rows"]]
    mapper = LinearColorMapper(palette=list(reversed(Blues9)), low=min(values or [0]), high=max(values or [1]))
    source = ColumnDataSource({"x": [r[f"{xkey}@label"] for r in data["rows"]],
                               "y": [r[f"{ykey}@label"] for r in data["rows"]], "value": values, "url": _urls(data)})
    fig = plot(data["title"], x_range=FactorRange(*xs), y_range=FactorRange(*ys))
    cells = fig.rect(x="x", y="y", width=1, height=1, source=source, line_color="white",
                     fill_color={"field": "value", "transform": mapper})
    fig.add_tools(HoverTool(tooltips=[("", "@x · @y"), ("", "@value{0,0.[00]}")], renderers=[cells]))
    clickable(fig, source.data["url"], [cells])
    fig.xaxis.major_label_orientation = 0.6 if len(xs) > 8 else 0
    return fig


def _kpi_numbers(data: Mapping[str, Any]) -> tuple[float, float | None]:
    kpi = data["kpi"]
    return float(kpi.get("value") or 0), (float(kpi["target"]) if kpi.get("target") not in (None, 0) else None)


# The words inside a KPI, gauge or progress picture, in the reader's language (the figure's "locale"), and a
# font list that has Chinese glyphs on Windows, macOS and Linux before the browser's own fallback.
WORDS = {"en": {"share": "{share} of {target}", "change": "{arrow} {change} vs previous period"},
         "zh": {"share": "目标 {target} · 达成 {share}", "change": "较上期 {arrow} {change}"}}
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'Helvetica Neue', sans-serif"


def _words(data: Mapping[str, Any]) -> dict[str, str]:
    return WORDS["zh" if data.get("locale") == "zh" else "en"]


def _share(data: Mapping[str, Any], value: float, target: float) -> str:
    return _words(data)["share"].format(share=f"{value / target:.0%}", target=f"{target:,.0f}")


def _text(fig: Any, x: float, y: float, text: str, size: str, **options: Any) -> None:
    fig.text(x=[x], y=[y], text=[text], text_align="center", text_font_size=size, text_font=fixed(FONT), **options)


def _gauge(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    value, target = _kpi_numbers(data)
    high = target or (value or 1.0)
    fig = _blank(plot(data["title"], x_range=(-1.2, 1.2), y_range=(-0.3, 1.2), tools="save"))
    fig.title.text_font = FONT
    fig.annular_wedge(0, 0, inner_radius=0.6, outer_radius=1.0, start_angle=0, end_angle=math.pi, color="#e5e5e5")
    fig.annular_wedge(0, 0, inner_radius=0.6, outer_radius=1.0, start_angle=gauge_angle(value, 0, high),
                      end_angle=math.pi, color=palette(chart, 1)[0])
    _text(fig, 0, 0.05, f"{value:,.0f}", "22px")
    if target:
        _text(fig, 0, -0.2, _share(data, value, target), "12px", text_color="#666666")
    return fig


def _kpi(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    value, target = _kpi_numbers(data)
    kpi = data["kpi"]
    fig = _blank(plot(data["title"], x_range=(0, 1), y_range=(0, 1), height=200, tools="save"))
    fig.title.text_font = FONT
    _text(fig, 0.5, 0.55, f"{value:,.0f}", "32px")
    lines = []
    if target:
        lines.append(_share(data, value, target))
    if kpi.get("change") is not None:
        lines.append(_words(data)["change"].format(arrow="▲" if kpi["change"] >= 0 else "▼",
                                                   change=f"{abs(kpi['change']):.1%}"))
    _text(fig, 0.5, 0.25, " · ".join(lines), "13px",
          text_color="#2ca02c" if (kpi.get("change") or 0) >= 0 else "#d62728")
    return fig


def _progress(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    value, target = _kpi_numbers(data)
    share = min(value / target, 1.0) if target else 1.0
    fig = _blank(plot(data["title"], x_range=(0, 1), y_range=(0, 1), height=140, tools="save"))
    fig.title.text_font = FONT
    fig.quad(left=0, right=1, bottom=0.35, top=0.65, color="#e5e5e5")
    fig.quad(left=0, right=share, bottom=0.35, top=0.65, color=palette(chart, 1)[0])
    _text(fig, 0.5, 0.8, f"{value:,.0f}" + (f" · {_share(data, value, target)}" if target else ""), "13px")
    return fig


def _table(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    columns: dict[str, list[Any]] = {}
    table_columns = []
    for i, d in enumerate(data["dimensions"]):
        columns[f"d{i}"] = [r[f"{d['key']}@label"] for r in data["rows"]]
        table_columns.append(TableColumn(field=f"d{i}", title=d["label"]))
    for i, m in enumerate(data["measures"]):
        columns[f"m{i}"] = [r[m["key"]] for r in data["rows"]]
        table_columns.append(TableColumn(field=f"m{i}", title=m["label"], formatter=NumberFormatter(format="0,0.[00]")))
    return DataTable(source=ColumnDataSource(columns), columns=table_columns, sizing_mode="stretch_width",
                     height=300, index_position=None)


def _pivot(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    rkey, ckey = (d["key"] for d in data["dimensions"])
    measures = data["measures"]
    rows = list(dict.fromkeys(r[f"{rkey}@label"] for r in data["rows"]))
    cols = list(dict.fromkeys(r[f"{ckey}@label"] for r in data["rows"]))
    cells = {(r[f"{rkey}@label"], r[f"{ckey}@label"]): r for r in data["rows"]}
    totals = data["totals"]
    row_totals = {t["label"]: t for t in totals["rows"]}
    col_totals = {t["label"]: t for t in totals["columns"]}
    columns: dict[str, list[Any]] = {"row": [*rows, "Σ"]}
    table_columns = [TableColumn(field="row", title=data["dimensions"][0]["label"])]
    number = NumberFormatter(format="0,0.[00]")
    for ci, col in enumerate([*cols, "Σ"]):
        for mi, m in enumerate(measures):
            name = f"c{ci}_{mi}"
            if col == "Σ":
                values = [row_totals.get(r, {}).get(m["key"]) for r in rows] + [totals["grand"][m["key"]]]
            else:
                values = [cells.get((r, col), {}).get(m["key"]) for r in rows] + [
                    col_totals.get(col, {}).get(m["key"])]
            columns[name] = values
            table_columns.append(TableColumn(field=name, title=f"{col} · {m['label']}" if len(measures) > 1
                                             else str(col), formatter=number))
    return DataTable(source=ColumnDataSource(columns), columns=table_columns, sizing_mode="stretch_width",
                     height=300, index_position=None)


DRAWERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], str], Any]] = {
    "pie": _pie, "donut": _pie, "funnel": _funnel, "treemap": _treemap, "waterfall": _waterfall, "radar": _radar,
    "scatter": _scatter, "bubble": _scatter, "histogram": _histogram, "box": _box, "heatmap": _heatmap,
    "gauge": _gauge, "kpi": _kpi, "progress": _progress, "table": _table, "pivot": _pivot,
}
