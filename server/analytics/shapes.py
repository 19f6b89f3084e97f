"""Geometry for the charts Bokeh has no glyph for: radar polygons, a squarified treemap, gauge arcs.

Plain arithmetic on lists; render.py draws the results with Bokeh's patches, quads and wedges.
"""

from __future__ import annotations

import math


def radar_points(values: list[float], top: float, radius: float = 1.0) -> tuple[list[float], list[float]]:
    """A closed polygon: one vertex per axis, clockwise from 12 o'clock, at value / top of the radius."""
    count = len(values)
    xs, ys = [], []
    for i, value in enumerate(values):
        angle = math.pi / 2 - 2 * math.pi * i / count
        share = (value or 0) / top if top else 0
        xs.append(radius * share * math.cos(angle))
        ys.append(radius * share * math.sin(angle))
    return xs + xs[:1], ys + ys[:1]


def radar_axes(count: int, radius: float = 1.0) -> list[tuple[float, float]]:
    return [(radius * math.cos(math.pi / 2 - 2 * math.pi * i / count),
             radius * math.sin(math.pi / 2 - 2 * math.pi * i / count)) for i in range(count)]


def _worst(row: list[float], side: float) -> float:
    total = sum(row)
    if not total or not side:
        return math.inf
    return max(max(side * side * r / (total * total), total * total / (side * side * r)) for r in row if r > 0)


def treemap(values: list[float], x: float, y: float, width: float, height: float
            ) -> list[tuple[float, float, float, float]]:
    """Squarified treemap (Bruls, Huizing, van Wijk): (left, bottom, right, top) per value, in the
    order given (give them largest first); zero and negative values get an empty rectangle."""
    total = sum(v for v in values if v > 0)
    if total <= 0:
        return [(x, y, x, y) for _ in values]
    scale = width * height / total
    areas = [max(v, 0) * scale for v in values]
    boxes: list[tuple[float, float, float, float]] = []
    index = 0
    while index < len(areas):
        side = min(width, height)
        row = [areas[index]]
        index += 1
        while index < len(areas) and _worst(row + [areas[index]], side) <= _worst(row, side):
            row.append(areas[index])
            index += 1
        row_total = sum(row)
        if width >= height:  # lay the row along the left edge, a column of boxes
            column = row_total / height if height else 0
            top = y + height
            for area in row:
                h = area / column if column else 0
                boxes.append((x, top - h, x + column, top))
                top -= h
            x, width = x + column, width - column
        else:  # along the top edge
            strip = row_total / width if width else 0
            left = x
            for area in row:
                w = area / strip if strip else 0
                boxes.append((left, y + height - strip, left + w, y + height))
                left += w
            height -= strip
    return boxes


def gauge_angle(value: float, low: float, high: float) -> float:
    """The angle (radians) of ``value`` on a half-circle gauge from ``low`` (left, pi) to ``high`` (right, 0)."""
    if high <= low:
        return math.pi
    share = min(max((value - low) / (high - low), 0.0), 1.0)
    return math.pi * (1 - share)
