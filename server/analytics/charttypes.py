"""The chart types and the shape of data each needs: how many dimensions and measures, which aggregates.

Checked when a dashboard is saved, so a pie with two measures or a heatmap with one dimension is refused
naming the chart, not drawn wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.analytics.sqlparts import PERCENTILES


@dataclass(frozen=True)
class Shape:
    dims: tuple[int, int]  # min, max
    measures: tuple[int, int]
    series_dim: bool = False  # a second dimension is a series (then exactly one measure)
    note: str = ""


CATEGORY = Shape((1, 1), (1, 6), note="one dimension (the categories), measures as series")
SERIES = Shape((1, 2), (1, 6), series_dim=True,
               note="one dimension and several measures, or two dimensions (the second the series) and one measure")
SLICES = Shape((1, 1), (1, 1), note="one dimension and one measure")
PIE = Shape((0, 1), (1, 6), note="one dimension and one measure, or no dimension and measures as slices")
SINGLE = Shape((0, 0), (1, 2), note="no dimension; one measure (a second measure is the target)")

TYPES: dict[str, Shape] = {
    "column": CATEGORY, "bar": CATEGORY, "line": CATEGORY, "area": CATEGORY,
    "stacked": SERIES, "grouped": SERIES, "percent_stacked": SERIES, "multi_line": SERIES, "stacked_area": SERIES,
    "dual_axis": Shape((1, 1), (2, 2), note="one dimension and two measures (bars, then the line)"),
    "pie": PIE, "donut": PIE, "funnel": SLICES, "treemap": SLICES, "waterfall": SLICES,
    "radar": Shape((1, 1), (1, 6), note="one dimension (the axes), measures as polygons"),
    "scatter": Shape((1, 1), (2, 2), note="one dimension (the points) and two measures (x, y)"),
    "bubble": Shape((1, 1), (3, 3), note="one dimension (the points) and three measures (x, y, size)"),
    "histogram": Shape((1, 1), (1, 1), note="one numeric dimension with 'bins' and one measure"),
    "box": Shape((0, 1), (1, 1), note="at most one dimension and one measure with agg 'box' over a number"),
    "heatmap": Shape((2, 2), (1, 1), note="two dimensions (x, y) and one measure"),
    "gauge": SINGLE, "kpi": SINGLE, "progress": SINGLE,
    "table": Shape((0, 3), (1, 8), note="up to three dimensions and measures"),
    "pivot": Shape((2, 2), (1, 4), note="two dimensions (rows, columns) and measures"),
}

# One value against a target (a second measure, or 'target') and the previous period ('compare').
SINGLE_VALUE = frozenset(key for key, shape in TYPES.items() if shape is SINGLE)

AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max", *PERCENTILES, "box")
NUMERIC_AGGREGATES = frozenset({"sum", "avg", "box", *PERCENTILES})
ORDERED_AGGREGATES = frozenset({"min", "max"})
BOX_PARTS = ("min", "p25", "median", "p75", "max")
