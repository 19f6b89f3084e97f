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

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select
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
    start: datetime | None = None
    end: datetime | None = None
    # Conditions on process_instance (a variable filter, the viewer's visibility): None is every instance.
    instances: list[ColumnElement[bool]] = field(default_factory=list)

    def where(self) -> list[ColumnElement[bool]]:
        clauses = [EP.c.version_id == self.version_id]
        if self.start is not None:
            clauses.append(EP.c.entered_at >= self.start)
        if self.end is not None:
            clauses.append(EP.c.entered_at < self.end)
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


def _duration(session: Session) -> ColumnElement[Any]:
    return seconds_between(session, EP.c.entered_at, EP.c.left_at)


def closed_elements(session: Session, scope: Scope, durations: bool) -> dict[str, ElementFigures]:
    """Ended passages per element: how many completed or were cancelled, and (durations) how long the
    completed and merged ones stayed."""
    dialect = session.get_bind().dialect.name
    stayed = EP.c.outcome != "cancelled"
    columns: list[Any] = [EP.c.element_id, func.count().filter(EP.c.outcome == "completed"),
                          func.count().filter(EP.c.outcome == "cancelled")]
    seconds = _duration(session)
    p90 = percentile_sql(dialect, P90, seconds, stayed) if durations else None
    if durations:
        columns += [func.avg(seconds).filter(stayed), func.max(seconds).filter(stayed)]
        if p90 is not None:
            columns.append(p90)
    query = select(*columns).where(*scope.where(), EP.c.left_at.is_not(None)).group_by(EP.c.element_id)
    figures: dict[str, ElementFigures] = {}
    for row in session.execute(query):
        item = figures[row[0]] = ElementFigures(passed=row[1], cancelled=row[2])
        if durations:
            item.avg, item.max = _number(row[3]), _number(row[4])
            item.p90 = _number(row[5]) if p90 is not None else None
    if durations and p90 is None:
        _python_p90(session, scope, seconds, figures)
    return figures


def _python_p90(session: Session, scope: Scope, seconds: ColumnElement[Any],
                figures: dict[str, ElementFigures]) -> None:
    """SQLite: each element's durations in order, interpolated as percentile_cont does."""
    query = (select(EP.c.element_id, seconds).where(*scope.where(), EP.c.left_at.is_not(None),
                                                    EP.c.outcome != "cancelled")
             .order_by(EP.c.element_id, seconds).limit(MAX_PERCENTILE_VALUES + 1))
    groups: dict[str, list[float]] = {}
    count = 0
    for element, value in session.execute(query):
        groups.setdefault(element, []).append(float(value))
        count += 1
    if count > MAX_PERCENTILE_VALUES:
        raise BadRequest(f"the 90th percentile on SQLite reads at most {MAX_PERCENTILE_VALUES} passages; narrow "
                         "the date range (from, to)", field="from")
    for element, values in groups.items():
        figures[element].p90 = percentile_cont(values, P90)


def closed_flows(session: Session, scope: Scope) -> dict[str, int]:
    query = (select(EP.c.flow_id, func.count()).where(*scope.where(), EP.c.left_at.is_not(None),
                                                      EP.c.flow_id.is_not(None)).group_by(EP.c.flow_id))
    return {flow: count for flow, count in session.execute(query)}


def _still_open(scope: Scope) -> Select[Any]:
    """Open rows of live instances whose passage has not ended: what the instances wait in now."""
    closed = aliased(ElementPassage)
    ended = exists().where(closed.instance_id == EP.c.instance_id, closed.task_id == EP.c.task_id,
                           closed.left_at.is_not(None))
    live = select(PI.c.id).where(PI.c.version_id == scope.version_id, PI.c.status.in_(WAITING_STATUSES))
    return select().select_from(EP).where(*scope.where(), EP.c.left_at.is_(None), EP.c.instance_id.in_(live),
                                          ~ended)


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
             .join(PI, PI.c.id == EP.c.instance_id).order_by(EP.c.entered_at, EP.c.id).limit(limit))
    return [{"instanceId": instance, "elementId": element, "since": since, "businessKey": key}
            for instance, element, since, key in session.execute(query)]


def unrecorded_instances(session: Session, scope: Scope) -> int:
    """Instances of the version started before its first recorded passage: they ran before the table."""
    first = select(func.min(EP.c.entered_at)).where(EP.c.version_id == scope.version_id).scalar_subquery()
    # No passage at all yet (min() of no rows is NULL): every instance of the version ran before the table.
    query = select(func.count()).select_from(PI).where(PI.c.version_id == scope.version_id, *scope.instances,
                                                       or_(first.is_(None), PI.c.started_at < first))
    return int(session.execute(query).scalar_one())


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
