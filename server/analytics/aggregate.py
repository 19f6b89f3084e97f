"""Aggregation in SQL: group by dimensions (date buckets, histogram bins), measures, top N with "others".

One query per figure, grouped in the database; the viewer's row scope and the chart's and dashboard's
filters are its WHERE. Top N keeps the N largest groups of the first dimension by the first measure and
adds one exact "others" row: folded from the same grouping for count, sum, min, max and avg (an average
carried as sum and count, never an average of averages), or by a second query over every other row for a
distinct count or a percentile. Percentiles on SQLite: see sqlparts.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, and_, cast, distinct, func, literal, or_, select, true
from sqlalchemy.orm import Session

from server.analytics import percentiles
from server.analytics.percentiles import MAX_WALKED_GROUPS
from server.analytics.sources import DATE, Source, mixed_currency
from server.analytics.sqlparts import PERCENTILES, bucket, bucket_label, floor_div, percentile_sql
from server.errors import BadRequest

OTHERS = "__others__"
MAX_GROUPS = 5000


@dataclass(frozen=True)
class Dimension:
    field: str
    bucket: str | None = None
    bins: int | None = None

    @property
    def key(self) -> str:
        return f"{self.field}:{self.bucket}" if self.bucket else self.field


@dataclass(frozen=True)
class Measure:
    agg: str
    field: str | None = None

    @property
    def key(self) -> str:
        return f"{self.agg}_{self.field}" if self.field else self.agg


@dataclass
class Query:
    source: Source
    dimensions: list[Dimension]
    measures: list[Measure]
    where: list[ColumnElement[bool]] = field(default_factory=list)
    top: int | None = None
    others: bool = False
    order: str = "dimension"  # "dimension" (labels ascending) or "value" (first measure descending)


@dataclass
class Result:
    dimensions: list[Dimension]
    measures: list[Measure]
    rows: list[list[Any]]  # dimension values then measure values
    bins: list[tuple[float, float]] | None = None  # a histogram's bin edges


def number(value: Any) -> Any:
    """A database value as JSON shows it: numbers as numbers (money sums included), days and times as ISO."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _measure_sql(dialect: str, source: Source, m: Measure,
                 only: ColumnElement[bool] | None = None) -> ColumnElement[Any] | None:
    """The aggregate of ``m``; ``only``: over the rows that match it (FILTER (WHERE ...), both databases)."""
    expr = source.columns[m.field].expr if m.field else None

    def over(aggregate: Any) -> Any:
        return aggregate if only is None else aggregate.filter(only)

    if m.agg == "count":
        return over(func.count(expr) if expr is not None else func.count())
    if m.agg == "count_distinct":
        return over(func.count(distinct(expr)))
    if m.agg in PERCENTILES:
        return percentile_sql(dialect, PERCENTILES[m.agg], expr, only)
    return over({"sum": func.sum, "avg": func.avg, "min": func.min, "max": func.max}[m.agg](expr))


def _where(q: Query) -> ColumnElement[bool]:
    return and_(q.source.scope, *q.where)


def _histogram_edges(session: Session, q: Query, dim: Dimension) -> tuple[float, float]:
    expr = q.source.columns[dim.field].expr
    used = {dim.field}
    low, high = session.execute(select(func.min(expr), func.max(expr)).select_from(q.source.from_clause(used))
                                .where(_where(q))).one()
    return (float(low), float(high)) if low is not None else (0.0, 0.0)


def _dimension_sql(dialect: str, q: Query, dim: Dimension, edges: tuple[float, float] | None) -> ColumnElement[Any]:
    expr = q.source.columns[dim.field].expr
    if dim.bucket:
        return bucket(dialect, expr, dim.bucket)
    if dim.bins and edges is not None:
        low, high = edges
        width = (high - low) / dim.bins if high > low else 1.0
        index = floor_div(dialect, expr - literal(low), width)
        return func.min(index, dim.bins - 1) if dialect == "sqlite" else func.least(index, dim.bins - 1)
    return expr


def _used(q: Query) -> set[str]:
    return {d.field for d in q.dimensions} | {m.field for m in q.measures if m.field}


def _grouped(session: Session, q: Query, dims: list[ColumnElement[Any]], where: ColumnElement[bool],
             limit: int | None, by_value: bool, refuse_over: bool = True, walk: bool = True
             ) -> list[list[Any]] | None:
    """The groups as the database returns them (raw values); more than MAX_GROUPS: refused, or None when
    ``refuse_over`` is False (the caller has a narrower query to fall back on). Percentiles: counted here,
    then read at their positions when the groups are few (percentiles.py), else sorted whole."""
    dialect = session.get_bind().dialect.name
    pre = _pregrouped(dialect, q, where) if len(dims) == len(q.dimensions) else None
    walked: list[tuple[int, ColumnElement[Any], float]] = []
    if pre is not None:
        dims, sql_measures, from_clause = pre  # type: ignore[assignment]
        where = true()
    else:
        sql_measures = [_measure_sql(dialect, q.source, m) for m in q.measures]
        from_clause = q.source.from_clause(_used(q))
        if walk and not (by_value and q.measures and q.measures[0].agg in PERCENTILES):
            walked = [(i, q.source.columns[m.field].expr, PERCENTILES[m.agg])  # type: ignore[index]
                      for i, m in enumerate(q.measures) if m.agg in PERCENTILES]
            for i, value, _ in walked:
                sql_measures[i] = func.count(value)
    selected = [d.label(f"d{i}") for i, d in enumerate(dims)]
    selected += [(s if s is not None else literal(None)).label(f"m{i}") for i, s in enumerate(sql_measures)]
    selected.append(func.count().label("n"))  # an aggregate query even when every measure is computed in Python
    statement = select(*selected).select_from(from_clause).where(where)
    if dims:
        statement = statement.group_by(*dims)
    if by_value and q.measures and sql_measures[0] is not None:
        statement = statement.order_by(sql_measures[0].desc(), *[d.asc() for d in dims])
    elif dims:
        statement = statement.order_by(*[d.asc() for d in dims])
    statement = statement.limit(min(limit, MAX_GROUPS + 1) if limit else MAX_GROUPS + 1)
    rows = [list(r)[:-1] for r in session.execute(statement)]
    if len(rows) > MAX_GROUPS:
        if not refuse_over:
            return None
        raise BadRequest(f"the chart has more than {MAX_GROUPS} groups; use a coarser bucket or top N",
                         field="dimensions")
    if walked and len(rows) <= MAX_WALKED_GROUPS:
        percentiles.at_positions(session, from_clause, dims, where, rows, walked)
    elif walked and dialect == "postgresql":  # many groups: percentile_cont sorts them in one scan
        return _grouped(session, q, dims, where, limit, by_value, refuse_over, walk=False)
    elif walked:
        percentiles.in_python(session, from_clause, dims, where, rows, walked)
    missing = [(i, q.source.columns[q.measures[i].field].expr, PERCENTILES[q.measures[i].agg])  # type: ignore[index]
               for i, s in enumerate(sql_measures) if s is None]
    if missing:  # SQLite, ordered by a percentile: sorted whole in Python
        percentiles.in_python(session, from_clause, dims, where, rows, missing)
    return rows


def _pregrouped(dialect: str, q: Query, where: ColumnElement[bool]) -> tuple[list[Any], list[Any], Any] | None:
    """Date buckets over a DATE field: group by the day first, then bucket the days. A day has many rows
    and a year ~365 days, so the bucket function runs on hundreds of rows, not millions, and the inner
    grouping can read the field's covering index in order (month buckets over 1M contracts: SQLite ~3.3 ->
    ~0.6 s). Only for measures that add up from the days (count, sum, min, max, avg as sum / count)."""
    if not any(d.bucket for d in q.dimensions) or any(d.bins for d in q.dimensions) or not all(
            m.agg in FOLDABLE for m in q.measures) or any(
            d.bucket and q.source.columns[d.field].kind != DATE for d in q.dimensions):
        return None
    raw = [q.source.columns[d.field].expr for d in q.dimensions]
    parts: list[Any] = []
    for i, m in enumerate(q.measures):
        expr = q.source.columns[m.field].expr if m.field else None
        if m.agg == "count":
            parts.append((func.count(expr) if expr is not None else func.count()).label(f"p{i}"))
        elif m.agg == "avg":
            parts += [func.sum(expr).label(f"p{i}s"), func.count(expr).label(f"p{i}c")]
        else:
            parts.append({"sum": func.sum, "min": func.min, "max": func.max}[m.agg](expr).label(f"p{i}"))
    inner = (select(*[r.label(f"r{i}") for i, r in enumerate(raw)], *parts)
             .select_from(q.source.from_clause(_used(q))).where(where).group_by(*raw).subquery("by_day"))
    dims = [bucket(dialect, inner.c[f"r{i}"], d.bucket) if d.bucket else inner.c[f"r{i}"]
            for i, d in enumerate(q.dimensions)]
    measures: list[Any] = []
    for i, m in enumerate(q.measures):
        if m.agg == "count":
            measures.append(cast(func.sum(inner.c[f"p{i}"]), BigInteger))  # PostgreSQL: sum(bigint) is numeric
        elif m.agg == "avg":  # as a float: SQLite would divide integers as integers
            measures.append(cast(func.sum(inner.c[f"p{i}s"]), Float) / func.nullif(func.sum(inner.c[f"p{i}c"]), 0))
        else:
            measures.append({"sum": func.sum, "min": func.min, "max": func.max}[m.agg](inner.c[f"p{i}"]))
    return dims, measures, inner


def _groups(session: Session, q: Query, dims: list[ColumnElement[Any]], where: ColumnElement[bool],
            limit: int | None, by_value: bool) -> list[list[Any]]:
    rows = _grouped(session, q, dims, where, limit, by_value)
    assert rows is not None  # refused above MAX_GROUPS
    return rows


FOLDABLE = frozenset({"count", "sum", "min", "max", "avg"})


def _fold(values: list[Any], agg: str) -> Any:
    present = [v for v in values if v is not None]
    if agg == "count":
        return sum(present)
    if not present:
        return None
    return {"sum": sum, "min": min, "max": max}[agg](present)


def _top_with_others(session: Session, q: Query, dims: list[ColumnElement[Any]],
                     where: ColumnElement[bool]) -> list[list[Any]] | None:
    """Top N and "others" from ONE grouping: every group ordered by the first measure (the same order and
    ties as the LIMIT query), the first N kept, the rest folded in Python. Exact for count, sum, min, max,
    and avg (carried as a sum and a count); None (use two queries) for other measures or too many groups."""
    if not all(m.agg in FOLDABLE for m in q.measures):
        return None
    helpers = [h for m in q.measures if m.agg == "avg" for h in (Measure("sum", m.field), Measure("count", m.field))]
    wide = Query(q.source, q.dimensions, [*q.measures, *helpers], q.where)
    rows = _grouped(session, wide, dims, where, None, True, refuse_over=False)
    if rows is None:
        return None
    count = len(q.measures)
    kept, rest = rows[:q.top], rows[q.top:]  # type: ignore[misc]
    others: list[Any] = []
    helper = count + 1  # rows hold [dimension, *measures, *helpers]
    for i, m in enumerate(q.measures):
        if m.agg == "avg":
            total_sum = _fold([r[helper] for r in rest], "sum")
            total_count = _fold([r[helper + 1] for r in rest], "count")
            others.append(total_sum / total_count if total_count else None)
            helper += 2
        else:
            others.append(_fold([r[1 + i] for r in rest], m.agg))
    result = [r[:1 + count] for r in kept]
    if rest and any(v not in (None, 0) for v in others):
        result.append([OTHERS, *others])
    return result


def _refuse_mixed_currencies(q: Query) -> None:
    """Never a sum, average, min or max across currencies, whatever path built the query (validate.py
    refuses such a chart at save; this keeps a query built another way from doing it silently)."""
    for m in q.measures:
        problem = mixed_currency(q.source, m.agg, m.field, [d.field for d in q.dimensions]) if m.field else None
        if problem:
            raise BadRequest(problem, field=m.field)


def run(session: Session, q: Query) -> Result:
    _refuse_mixed_currencies(q)
    dialect = session.get_bind().dialect.name
    edges = None
    for dim in q.dimensions:
        if dim.bins:
            edges = _histogram_edges(session, q, dim)
    dims = [_dimension_sql(dialect, q, d, edges) for d in q.dimensions]
    where = _where(q)
    by_value = q.order == "value" or q.top is not None
    folded = _top_with_others(session, q, dims, where) if q.top is not None and q.others and len(dims) == 1 else None
    if folded is not None:
        rows = folded
    else:
        rows = _groups(session, q, dims, where, None if len(dims) > 1 else q.top, by_value)
    if folded is None and q.top is not None and dims:
        if len(dims) > 1:
            leaders = _groups(session, Query(q.source, q.dimensions[:1], q.measures[:1], q.where), dims[:1],
                              where, q.top, True)
            keep = [r[0] for r in leaders]
            rows = [r for r in rows if r[0] in keep]
        else:
            keep = [r[0] for r in rows]
        if q.others:
            named = [k for k in keep if k is not None]
            # SQL's NOT IN is unknown for NULL: the empty group is "others" unless it is one of the top N.
            outside = dims[0].not_in(named) if named else true()
            rest = and_(dims[0].is_not(None), outside) if None in keep else or_(dims[0].is_(None), outside)
            others = _groups(session, q, dims[1:], and_(where, rest), None, False)
            rows += [[OTHERS, *r] for r in others if any(v not in (None, 0) for v in r[len(dims) - 1:])]
    result = Result(q.dimensions, q.measures, [[number(v) for v in r] for r in rows])
    if edges is not None:
        bins = next(d.bins for d in q.dimensions if d.bins)
        low, high = edges
        width = (high - low) / bins if high > low else 1.0
        result.bins = [(low + i * width, low + (i + 1) * width) for i in range(bins)]  # type: ignore[arg-type]
        counts = {r[0]: r for r in result.rows}
        result.rows = [counts.get(i, [i, *[0] * len(q.measures)]) for i in range(bins)]  # type: ignore[arg-type]
    return result


def total(session: Session, q: Query) -> list[Any]:
    """The measures over every row of the query (a pivot's grand total, a KPI's value)."""
    # A measure over amounts in several currencies has no total across them (the chart groups it by
    # its currency): None, not a sum of different currencies.
    mixed = [m.field is not None and mixed_currency(q.source, m.agg, m.field, []) is not None for m in q.measures]
    safe = [m for m, refused in zip(q.measures, mixed, strict=True) if not refused]
    rows = _groups(session, Query(q.source, [], safe, q.where), [], _where(q), None, False) if safe else [[]]
    values = iter([number(v) for v in rows[0]] if rows else [None] * len(safe))
    return [None if refused else next(values) for refused in mixed]


def totals_within(session: Session, q: Query, spans: list[ColumnElement[bool]]) -> list[list[Any]] | None:
    """The measures over the rows of each of ``spans`` (a KPI's period and the one before), in ONE query:
    each measure once per span with FILTER (WHERE span); ``q.where`` should hold the rows of every span (the
    caller knows the narrowest such range). None where a measure is computed in Python (percentiles on
    SQLite): the caller then asks ``total`` once per span."""
    _refuse_mixed_currencies(q)
    dialect = session.get_bind().dialect.name
    selected = [_measure_sql(dialect, q.source, m, span) for span in spans for m in q.measures]
    if any(s is None for s in selected):
        return None
    statement = select(*[s.label(f"m{i}") for i, s in enumerate(selected)])  # type: ignore[union-attr]
    values = [number(v) for v in session.execute(statement.select_from(q.source.from_clause(_used(q)))
                                                 .where(_where(q))).one()]
    size = len(q.measures)
    return [values[i * size:(i + 1) * size] for i in range(len(spans))]


def label_of(dim: Dimension, value: Any, source: Source, locale: str) -> str:
    if value == OTHERS:
        return "其他" if locale == "zh" else "Others"
    if value is None:
        return "（空）" if locale == "zh" else "(empty)"
    if dim.bucket:
        return bucket_label(value, dim.bucket)
    column = source.columns[dim.field]
    if isinstance(value, bool):
        return ("是" if value else "否") if locale == "zh" else ("yes" if value else "no")
    option = column.options.get(str(value))
    if option:
        return option.get(locale) or option.get("en") or str(value)
    return str(value)


__all__ = ["OTHERS", "Dimension", "Measure", "Query", "Result", "label_of", "run", "total", "totals_within",
           "true"]
