"""The heatmap's SQL: element passages grouped by element and by sequence flow (server/models/passage.py).

A passage is counted once: by its closed row if it has ended, else by its open row. Open rows whose
passage is still going on are found from the live instances of the version only (their task has no
closed row yet), so the anti-join reads the few running instances, never the history. Durations are
seconds between entering and leaving; p90 is PostgreSQL's ``percentile_cont``; on SQLite, which has no
percentile aggregate, the group's values are read in order and interpolated the same way
(sqlparts.percentile_cont).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from server.analytics.sources import seconds_between
from server.analytics.sqlparts import MAX_PERCENTILE_VALUES, percentile_cont, percentile_sql
from server.errors import BadRequest
from server.events import InstanceStatus
from server.models import ElementPassage, ProcessInstance

P90 = 0.9
# An instance whose tokens can still be somewhere: suspended ones wait too.
WAITING_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.ERROR, InstanceStatus.SUSPENDED)
EP = ElementPassage.__table__
PI = ProcessInstance.__table__


@dataclass
class Scope:
    """Which passages are aggregated: one version, entered in [start, end), of the chosen instances."""

    version_id: int
    key: str
    start: datetime | None = None
    end: datetime | None = None
    # Conditions on process_instance (a variable filter, the viewer's visibility): None is every instance.
    instances: list[ColumnElement[bool]] = field(default_factory=list)

    @property
    def narrowed(self) -> bool:
        return self.start is not None or self.end is not None or bool(self.instances)

    def times(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.start is not None:
            clauses.append(EP.c.entered_at >= self.start)
        if self.end is not None:
            clauses.append(EP.c.entered_at < self.end)
        return clauses

    def where(self) -> list[ColumnElement[bool]]:
        clauses = [EP.c.version_id == self.version_id, *self.times()]
        if self.instances:
            chosen = select(PI.c.id).where(PI.c.version_id == self.version_id, *self.instances)
            clauses.append(EP.c.instance_id.in_(chosen))
        return clauses


@dataclass
class ElementFigures:
    passed: int = 0
    cancelled: int = 0
    avg: float | None = None
    p90: float | None = None
    max: float | None = None
    waiting: int = 0
    waiting_avg: float | None = None
    waiting_max: float | None = None


def closed_figures(session: Session, scope: Scope,
                   durations: bool) -> tuple[dict[str, ElementFigures], dict[str, int]]:
    """Ended passages per element (completed, cancelled; with durations their average, longest and p90)
    and per sequence flow, from one scan grouped by element, incoming flow and outcome."""
    query = (select(EP.c.element_id, EP.c.flow_id, EP.c.outcome, func.count(), func.sum(EP.c.seconds),
                    func.max(EP.c.seconds))
             .where(*scope.where(), EP.c.outcome.is_not(None))
             .group_by(EP.c.element_id, EP.c.flow_id, EP.c.outcome))
    figures: dict[str, ElementFigures] = {}
    flows: dict[str, int] = {}
    stayed: dict[str, tuple[int, float]] = {}
    for element, flow, outcome, count, total, longest in session.execute(query):
        item = figures.setdefault(element, ElementFigures())
        if outcome == "completed":
            item.passed += count
        elif outcome == "cancelled":
            item.cancelled += count
        if flow is not None:
            flows[flow] = flows.get(flow, 0) + count
        if total is not None:  # completed and merged passages: the time they stayed
            n, seconds = stayed.get(element, (0, 0.0))
            stayed[element] = (n + count, seconds + float(total))
            item.max = max(item.max or 0.0, float(longest))
    if durations:
        for element, (n, seconds) in stayed.items():
            figures[element].avg = seconds / n
        counts = {e: n for e, (n, _) in stayed.items()}
        p90s = _p90_of_some(session, scope) if scope.narrowed else _p90(session, scope, counts)
        for element, value in p90s.items():
            figures[element].p90 = value
    for item in figures.values():
        if not durations:
            item.max = None
    return figures, flows


def _p90(session: Session, scope: Scope, counts: dict[str, int]) -> dict[str, float]:
    """Each element's 90th percentile of the `counts[element]` durations in scope, exactly as PostgreSQL's
    percentile_cont interpolates it, from the two values around its position: read from the longest end
    of the element's durations index, so about a tenth of them is walked, never sorted."""
    parts = []
    for element, n in counts.items():
        position = P90 * (n - 1)
        high = min(int(position) + 1, n - 1)
        part = (select(EP.c.seconds).where(*scope.where(), EP.c.element_id == element, EP.c.seconds.is_not(None))
                .order_by(EP.c.seconds.desc()).offset(n - 1 - high).limit(2 if high > int(position) else 1)
                .subquery())
        parts.append(select(literal(element).label("element"), part.c.seconds))
    values: dict[str, list[float]] = {}
    if parts:
        for element, seconds in session.execute(union_all(*parts)):
            values.setdefault(element, []).append(float(seconds))
    found: dict[str, float] = {}
    for element, pair in values.items():
        n = counts[element]
        position = P90 * (n - 1)
        low = int(position)
        low_value, high_value = min(pair), max(pair)
        found[element] = low_value + (high_value - low_value) * (position - low)
    return found


def _p90_of_some(session: Session, scope: Scope) -> dict[str, float]:
    """The p90 over a date range or chosen instances: walking the whole durations index for those would
    read most of it, so the rows in scope are ordered instead (PostgreSQL's percentile_cont; on SQLite,
    which has none, read in order and interpolated the same way, at most MAX_PERCENTILE_VALUES)."""
    dialect = session.get_bind().dialect.name
    aggregate = percentile_sql(dialect, P90, EP.c.seconds)
    where = [*scope.where(), EP.c.seconds.is_not(None)]
    if aggregate is not None:
        query = select(EP.c.element_id, aggregate).where(*where).group_by(EP.c.element_id)
        return {element: float(value) for element, value in session.execute(query) if value is not None}
    query = (select(EP.c.element_id, EP.c.seconds).where(*where).order_by(EP.c.element_id, EP.c.seconds)
             .limit(MAX_PERCENTILE_VALUES + 1))
    groups: dict[str, list[float]] = {}
    rows = 0
    for element, seconds in session.execute(query):
        groups.setdefault(element, []).append(float(seconds))
        rows += 1
    if rows > MAX_PERCENTILE_VALUES:
        raise BadRequest(f"the 90th percentile on SQLite reads at most {MAX_PERCENTILE_VALUES} passages; narrow "
                         "the date range (from, to) or the filter", field="from")
    return {element: value for element, values in groups.items()
            if (value := percentile_cont(values, P90)) is not None}


def _still_open(scope: Scope) -> Select[Any]:
    """Open rows of live instances whose passage has not ended: what the instances wait in now."""
    closed = aliased(ElementPassage)
    ended = exists().where(closed.instance_id == EP.c.instance_id, closed.task_id == EP.c.task_id,
                           closed.left_at.is_not(None))
    # Driven by the version's few live instances (process_instance by key and status, then each one's rows by
    # instance). The passage's own version is deliberately not compared: PostgreSQL would then walk every
    # passage of the version for the open ones. A live instance's open rows are its current waits, also those
    # an instance migration carried over from its earlier version.
    live = PI.c.process_key == scope.key, PI.c.status.in_(WAITING_STATUSES), PI.c.version_id == scope.version_id
    joined = PI.join(EP, EP.c.instance_id == PI.c.id)
    return select().select_from(joined).where(*live, *scope.times(), *scope.instances, EP.c.left_at.is_(None), ~ended)


def open_passages(session: Session, scope: Scope, now: datetime,
                  figures: dict[str, ElementFigures], flows: dict[str, int]) -> None:
    """Add what is waiting now (grouped by element and incoming flow) to the element and flow figures."""
    waited = seconds_between(session, EP.c.entered_at, literal(now))
    query = _still_open(scope).add_columns(EP.c.element_id, EP.c.flow_id, func.count(), func.sum(waited),
                                           func.max(waited)).group_by(EP.c.element_id, EP.c.flow_id)
    totals: dict[str, float] = {}
    for element, flow, count, total, longest in session.execute(query):
        item = figures.setdefault(element, ElementFigures())
        item.waiting += count
        totals[element] = totals.get(element, 0.0) + float(total or 0)
        item.waiting_max = max(item.waiting_max or 0.0, float(longest or 0))
        if flow is not None:
            flows[flow] = flows.get(flow, 0) + count
    for element, total in totals.items():
        figures[element].waiting_avg = total / figures[element].waiting


def longest_waiting(session: Session, scope: Scope, limit: int) -> list[dict[str, Any]]:
    query = (_still_open(scope).add_columns(EP.c.instance_id, EP.c.element_id, EP.c.entered_at, PI.c.business_key)
             .order_by(EP.c.entered_at, EP.c.id).limit(limit))
    return [{"instanceId": instance, "elementId": element, "since": since, "businessKey": key}
            for instance, element, since, key in session.execute(query)]


def unrecorded_instances(session: Session, scope: Scope) -> int:
    """Instances of the version started before its first recorded passage: they ran before the table."""
    first = select(func.min(EP.c.entered_at)).where(EP.c.version_id == scope.version_id).scalar_subquery()
    # No passage at all yet (min() of no rows is NULL): every instance of the version ran before the table.
    query = select(func.count()).select_from(PI).where(PI.c.version_id == scope.version_id, *scope.instances,
                                                       or_(first.is_(None), PI.c.started_at < first))
    return int(session.execute(query).scalar_one())
