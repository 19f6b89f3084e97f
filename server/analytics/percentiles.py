"""Percentiles of a chart's groups read at their position, not sorted whole (both databases).

``percentile_cont`` sorts every value of a group (900,000 task durations spill to disk on PostgreSQL;
SQLite has no percentile at all, so the values were read into Python). When the grouped query has
counted each group's values and the groups are few, the two values around the percentile's position
are read instead, from the nearer end: ``ORDER BY value DESC OFFSET n-1-high LIMIT 2`` keeps only a tenth
of a group for a p90 (a bounded top-N sort, or a walk of an index that orders the values), and the result
is interpolated exactly as ``percentile_cont`` does. All groups' reads are one UNION ALL statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, FromClause, and_, cast, literal, select, union_all
from sqlalchemy.orm import Session

from server.analytics.sqlparts import MAX_PERCENTILE_VALUES, percentile_cont
from server.errors import BadRequest

# At most this many groups are read at their positions (one small ordered read each); more: sorted whole.
MAX_WALKED_GROUPS = 24


def _same(dim: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    return dim.is_(None) if value is None else dim == value


def at_positions(session: Session, from_clause: FromClause, dims: Sequence[ColumnElement[Any]],
                 where: ColumnElement[bool], rows: list[list[Any]],
                 slots: Sequence[tuple[int, ColumnElement[Any], float]]) -> None:
    """Replace each group's count of values in measure slot ``i`` (``slots``: slot, value, fraction) by
    the value's percentile at ``fraction``, as ``percentile_cont`` computes it."""
    parts = []
    wanted: dict[tuple[int, int], tuple[int, float]] = {}
    for g, row in enumerate(rows):
        group = and_(where, *[_same(d, row[k]) for k, d in enumerate(dims)])
        for i, value, fraction in slots:
            n = int(row[len(dims) + i] or 0)
            row[len(dims) + i] = None
            if n == 0:
                continue
            position = fraction * (n - 1)
            low = int(position)
            high = min(low + 1, n - 1)
            take = 2 if high > low else 1
            descending = low >= n // 2  # read from the nearer end: fewer values kept
            order = value.desc() if descending else value.asc()
            offset = n - 1 - high if descending else low
            part = (select(cast(value, Float).label("v")).select_from(from_clause)
                    .where(group, value.is_not(None)).order_by(order).offset(offset).limit(take).subquery())
            parts.append(select(literal(g).label("g"), literal(i).label("i"), part.c.v))
            wanted[(g, i)] = (low, position)
    if not parts:
        return
    found: dict[tuple[int, int], list[float]] = defaultdict(list)
    for g, i, v in session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        found[(g, i)].append(float(v))
    for (g, i), (low, position) in wanted.items():
        pair = found.get((g, i))
        if pair:
            row = rows[g]
            low_value, high_value = min(pair), max(pair)
            row[len(dims) + i] = low_value + (high_value - low_value) * (position - low)


def in_python(session: Session, from_clause: FromClause, dims: Sequence[ColumnElement[Any]],
              where: ColumnElement[bool], rows: list[list[Any]],
              slots: Sequence[tuple[int, ColumnElement[Any], float]]) -> None:
    """SQLite, many groups: the values of each group in order, interpolated as PostgreSQL's percentile_cont."""
    by_value: dict[int, list[tuple[int, float]]] = defaultdict(list)
    values: dict[int, ColumnElement[Any]] = {}
    for i, value, fraction in slots:
        by_value[id(value)].append((i, fraction))
        values[id(value)] = value
    positions = {tuple(r[:len(dims)]): r for r in rows}
    for key, indexes in by_value.items():
        value = values[key]
        statement = (select(*dims, value).select_from(from_clause)
                     .where(where, value.is_not(None)).order_by(*dims, value).limit(MAX_PERCENTILE_VALUES + 1))
        groups: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        count = 0
        for r in session.execute(statement):
            count += 1
            groups[tuple(r[:len(dims)])].append(float(r[-1]))
        if count > MAX_PERCENTILE_VALUES:
            raise BadRequest(f"percentiles on SQLite read at most {MAX_PERCENTILE_VALUES} values; narrow the "
                             "filter or use PostgreSQL", field="measures")
        for group_key, row in positions.items():
            for i, fraction in indexes:
                row[len(dims) + i] = percentile_cont(groups.get(group_key, []), fraction)
