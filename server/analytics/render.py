"""Charts drawn with Bokeh from a figure's rows (figures.py), returned as ``json_item`` documents.

The page loads BokehJS from this server and embeds each item with a static script (no inline script, no
CustomJS, so the page's Content-Security-Policy stays strict). Drill-down is a TapTool with an OpenURL
whose URL is a column of the data: clicking a bar or a slice opens the next level or the records behind it.
This module draws the category and series charts; render_more.py the rest.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from bokeh.embed import json_item
from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    HoverTool,
    LinearAxis,
    NumeralTickFormatter,
    OpenURL,
    Range1d,
    TapTool,
)
from bokeh.palettes import Category10_10, Category20_20
from bokeh.plotting import figure as bokeh_figure

HEIGHT = 320
Urls = Callable[[Mapping[str, Any]], str | None]


def palette(chart: Mapping[str, Any], count: int) -> list[str]:
    colors = list(chart.get("colors") or (Category10_10 if count <= 10 else Category20_20))
    return [colors[i % len(colors)] for i in range(max(count, 1))]


def plot(title: str, **options: Any) -> Any:
    options.setdefault("height", HEIGHT)
    options.setdefault("sizing_mode", "stretch_width")
    options.setdefault("toolbar_location", "right")
    options.setdefault("tools", "pan,wheel_zoom,box_zoom,reset,save")
    fig = bokeh_figure(title=title, **options)
    fig.toolbar.logo = None
    return fig


def clickable(fig: Any, urls: list[str | None], renderers: list[Any] | None = None) -> None:
    """A tap opens the row's URL (drill-down); nothing when the chart drills nowhere."""
    if any(urls):
        fig.add_tools(TapTool(callback=OpenURL(url="@url", same_tab=True), renderers=renderers or "auto"))


def categories(data: Mapping[str, Any]) -> list[str]:
    key = data["dimensions"][0]["key"]
    return [row[f"{key}@label"] for row in data["rows"]]


def unique(labels: list[str]) -> list[str]:
    """Bokeh factors must be distinct: a repeated label (two values shown alike) gets a counter."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def series_matrix(data: Mapping[str, Any]) -> tuple[list[str], list[str], list[list[float]], list[str | None]]:
    """(categories, series, values[series][category], url per category) from one dimension and several
    measures, or from two dimensions (the second the series) and one measure."""
    dims, measures, rows = data["dimensions"], data["measures"], data["rows"]
    first = dims[0]["key"]
    cats: list[str] = []
    urls: list[str | None] = []
    for row in rows:
        if row[f"{first}@label"] not in cats:
            cats.append(row[f"{first}@label"])
            urls.append(row.get("@url"))
    if len(dims) == 1:
        series = [m["label"] for m in measures]
        values = [[0.0] * len(cats) for _ in series]
        for row in rows:
            for s, m in enumerate(measures):
                values[s][cats.index(row[f"{first}@label"])] = row[m["key"]] or 0.0
        return cats, series, values, urls
    second, measure = dims[1]["key"], measures[0]["key"]
    series = []
    for row in rows:
        if row[f"{second}@label"] not in series:
            series.append(row[f"{second}@label"])
    values = [[0.0] * len(cats) for _ in series]
    for row in rows:
        values[series.index(row[f"{second}@label"])][cats.index(row[f"{first}@label"])] = row[measure] or 0.0
    return cats, series, values, urls


def _category(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    cats = unique(categories(data))
    measures = data["measures"]
    colors = palette(chart, len(measures))
    horizontal = kind == "bar"
    fig = plot(data["title"], **({"y_range": FactorRange(*reversed(cats))} if horizontal
                                 else {"x_range": FactorRange(*cats)}))
    columns: dict[str, list[Any]] = {"cat": cats, "url": [r.get("@url") for r in data["rows"]]}
    for i, m in enumerate(measures):
        columns[f"m{i}"] = [r[m["key"]] or 0 for r in data["rows"]]
    source = ColumnDataSource(columns)
    renderers = []
    width = 0.8 / len(measures)
    for i, m in enumerate(measures):
        offset = -0.4 + width * (i + 0.5)
        if kind in ("column", "bar"):
            from bokeh.transform import dodge

            position = dodge("cat", offset if len(measures) > 1 else 0, range=fig.y_range if horizontal
                             else fig.x_range)
            if horizontal:
                renderers.append(fig.hbar(y=position, right=f"m{i}", height=width * 0.9, source=source,
                                          color=colors[i], legend_label=m["label"]))
            else:
                renderers.append(fig.vbar(x=position, top=f"m{i}", width=width * 0.9, source=source,
                                          color=colors[i], legend_label=m["label"]))
        elif kind == "line":
            fig.line("cat", f"m{i}", source=source, color=colors[i], line_width=2, legend_label=m["label"])
            renderers.append(fig.scatter("cat", f"m{i}", source=source, color=colors[i], size=7))
        else:  # area
            renderers.append(fig.varea(x="cat", y1=0, y2=f"m{i}", source=source, fill_color=colors[i],
                                       fill_alpha=0.4, legend_label=m["label"]))
            fig.line("cat", f"m{i}", source=source, color=colors[i], line_width=2)
    tips = [(data["dimensions"][0]["label"], "@cat")] + [(m["label"], f"@m{i}{{0,0.[00]}}")
                                                         for i, m in enumerate(measures)]
    fig.add_tools(HoverTool(tooltips=tips, renderers=renderers))
    clickable(fig, columns["url"], renderers)
    (fig.xaxis if horizontal else fig.yaxis).formatter = NumeralTickFormatter(format="0,0.[00]")
    if not horizontal:
        fig.xaxis.major_label_orientation = 0.6 if len(cats) > 8 else 0
    fig.legend.location = "top_left"
    fig.legend.visible = len(measures) > 1
    return fig


def _series(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    cats, series, values, urls = series_matrix(data)
    cats = unique(cats)
    series = unique(series)
    colors = palette(chart, len(series))
    if kind == "percent_stacked":
        totals = [sum(v[c] for v in values) or 1.0 for c in range(len(cats))]
        values = [[v[c] / totals[c] for c in range(len(cats))] for v in values]
    columns: dict[str, list[Any]] = {"cat": cats, "url": urls}
    names = [f"s{i}" for i in range(len(series))]
    for name, v in zip(names, values, strict=True):
        columns[name] = v
    source = ColumnDataSource(columns)
    if kind == "grouped":
        factors = [(c, s) for c in cats for s in series]
        flat = ColumnDataSource({"x": factors, "value": [values[si][ci] for ci in range(len(cats))
                                                         for si in range(len(series))],
                                 "series": [s for _ in cats for s in series],
                                 "color": [colors[si] for _ in cats for si in range(len(series))],
                                 "url": [urls[ci] for ci in range(len(cats)) for _ in series]})
        fig = plot(data["title"], x_range=FactorRange(*factors))
        bars = fig.vbar(x="x", top="value", width=0.9, source=flat, fill_color="color", line_color="color")
        fig.add_tools(HoverTool(tooltips=[("", "@series"), ("", "@value{0,0.[00]}")], renderers=[bars]))
        fig.xaxis.major_label_orientation = 1.0
        clickable(fig, urls, [bars])
        return fig
    fig = plot(data["title"], x_range=FactorRange(*cats))
    renderers: list[Any] = []
    if kind in ("stacked", "percent_stacked"):
        renderers = fig.vbar_stack(names, x="cat", width=0.8, source=source, color=colors,
                                   legend_label=series)
    elif kind == "stacked_area":
        renderers = fig.varea_stack(names, x="cat", source=source, color=colors, legend_label=series)
    else:  # multi_line
        for name, label, color in zip(names, series, colors, strict=True):
            fig.line("cat", name, source=source, color=color, line_width=2, legend_label=label)
            renderers.append(fig.scatter("cat", name, source=source, color=color, size=6))
    if kind == "percent_stacked":
        fig.yaxis.formatter = NumeralTickFormatter(format="0%")
    else:
        fig.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    if kind != "stacked_area":
        fig.add_tools(HoverTool(tooltips=[("", "@cat"), *[(s, f"@{n}{{0,0.[00]}}") for s, n in zip(
            series, names, strict=True)]], renderers=renderers))
        clickable(fig, urls, renderers)
    fig.legend.location = "top_left"
    fig.xaxis.major_label_orientation = 0.6 if len(cats) > 8 else 0
    return fig


def _dual_axis(data: Mapping[str, Any], chart: Mapping[str, Any], kind: str) -> Any:
    cats = unique(categories(data))
    bars_m, line_m = data["measures"]
    colors = palette(chart, 2)
    source = ColumnDataSource({"cat": cats, "a": [r[bars_m["key"]] or 0 for r in data["rows"]],
                               "b": [r[line_m["key"]] or 0 for r in data["rows"]],
                               "url": [r.get("@url") for r in data["rows"]]})
    fig = plot(data["title"], x_range=FactorRange(*cats))
    bars = fig.vbar(x="cat", top="a", width=0.7, source=source, color=colors[0], legend_label=bars_m["label"])
    top = max([v for v in source.data["b"] if v is not None] or [1]) * 1.1 or 1
    fig.extra_y_ranges = {"line": Range1d(start=0, end=top)}
    fig.add_layout(LinearAxis(y_range_name="line", formatter=NumeralTickFormatter(format="0,0.[00]")), "right")
    fig.line("cat", "b", source=source, color=colors[1], line_width=2, y_range_name="line",
             legend_label=line_m["label"])
    dots = fig.scatter("cat", "b", source=source, color=colors[1], size=7, y_range_name="line")
    fig.add_tools(HoverTool(tooltips=[("", "@cat"), (bars_m["label"], "@a{0,0.[00]}"),
                                      (line_m["label"], "@b{0,0.[00]}")], renderers=[bars, dots]))
    fig.yaxis[0].formatter = NumeralTickFormatter(format="0,0.[00]")
    clickable(fig, source.data["url"], [bars])
    fig.legend.location = "top_left"
    return fig


DRAWERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], str], Any]] = {
    **dict.fromkeys(("column", "bar", "line", "area"), _category),
    **dict.fromkeys(("stacked", "grouped", "percent_stacked", "multi_line", "stacked_area"), _series),
    "dual_axis": _dual_axis,
}


def render(data: Mapping[str, Any], chart: Mapping[str, Any], target: str) -> dict[str, Any]:
    """The Bokeh document of one chart, as ``json_item`` for the element id ``target`` (do not change it: it
    may be shared).

    Building Bokeh models is the costly part of a chart request (~30-200 ms each, most of it Bokeh's property
    defaults), so documents are remembered by what they are drawn from: the figure's rows, the chart's
    definition and the target. That is a pure function of its inputs, so it can never show stale data: new
    rows are a new key (the aggregation itself is never cached)."""
    key = hashlib.sha256(json.dumps([data, chart, target], sort_keys=True, default=str).encode()).hexdigest()
    item = _DOCUMENTS.get(key)
    if item is None:
        from server.analytics import render_more

        drawer = DRAWERS.get(chart["type"]) or render_more.DRAWERS[chart["type"]]
        item = json_item(drawer(data, chart, chart["type"]), target)
        with _LOCK:
            _DOCUMENTS[key] = item
            while len(_DOCUMENTS) > MAX_DOCUMENTS:
                _DOCUMENTS.popitem(last=False)
    else:
        with _LOCK:
            if key in _DOCUMENTS:
                _DOCUMENTS.move_to_end(key)
    return item


MAX_DOCUMENTS = 128
_DOCUMENTS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()
