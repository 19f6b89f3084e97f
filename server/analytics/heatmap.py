"""Process analytics on the diagram: per element and sequence flow of one version, how many passed, how
long they stayed (average, p90, longest), what waits there now, the bottlenecks and the instances
waiting longest. Read from element passages (server/models/passage.py; the SQL: heatmap_sql.py).

Who sees what: admins and auditors aggregate every instance; staff and modelers only the instances
they may see (the instance list's rule: started, have a task in, were copied on); anyone else is
refused. Arguments (the API's query string and the page's form alike): version, from, to (a date, `to`
included, or an ISO date-time, `to` excluded: passages that began in the range), metric (count:
numbers only; duration: numbers and times), filter (a variable filter: variable_filter.py), limit (how
many waiting instances). Anything else is a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.analytics import heatmap_sql as sql
from server.analytics.variable_filter import instance_filter
from server.auth.permissions import Principal, instance_visibility
from server.db import utcnow
from server.errors import BadRequest, Forbidden, NotFound
from server.models import ProcessVersion
from server.queries import QueryArgs
from server.queries.args import day_end, day_start, parse_day

ARGUMENTS = ("version", "from", "to", "metric", "filter", "limit")
METRICS = ("count", "duration")
FLOW_NODE_KINDS = ("sequenceFlow",)
BOTTLENECKS = 5
MAX_WAITING = 100
# Who may look at a process's figures at all; staff and modelers see their own instances' only.
VIEWERS = ("admin", "auditor", "modeler", "staff")


def find_version(session: Session, key: str, version: int | None) -> ProcessVersion:
    query = select(ProcessVersion).where(ProcessVersion.key == key)
    query = query.where(ProcessVersion.version == version) if version else query.where(ProcessVersion.is_latest)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"process definition '{key}'" + (f" version {version}" if version else "") + " does not exist")
    return row


def _moment(args: QueryArgs, raw: Mapping[str, str], name: str, end: bool) -> datetime | None:
    text = (raw.get(name) or "").strip()
    if not text:
        return None
    if len(text) == 10:  # a day: from its start; `to` includes it
        day = parse_day(text)
        if day is None:
            raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time", field=name)
        return day_end(day) if end else day_start(day)
    return args.moment(name)


def _refuse_unknown(raw: Mapping[str, str]) -> None:
    unknown = sorted(set(raw) - set(ARGUMENTS))
    if unknown:
        raise BadRequest(f"unknown argument '{unknown[0]}' (the heatmap reads {', '.join(ARGUMENTS)})",
                         field=unknown[0])


def heatmap(session: Session, who: Principal, key: str, raw: Mapping[str, str]) -> dict[str, Any]:
    """The figures of one process version for `who` (see the module docstring for the arguments)."""
    if not who.has(*VIEWERS):
        raise Forbidden(f"you may not see the instances of process '{key}'")
    _refuse_unknown(raw)
    args = QueryArgs(raw)
    row = find_version(session, key, args.integer("version", None, 1, 2**31 - 1))
    metric = args.choice("metric", METRICS, "duration") or "duration"
    start, end = _moment(args, raw, "from", False), _moment(args, raw, "to", True)
    if start and end and start >= end:
        raise BadRequest("from must be before to", field="from")
    limit = args.integer("limit", 10, 1, MAX_WAITING) or 10
    # Not args.text: that stops at 1,000 characters, a filter may have MAX_FILTER (variable_filter.py, OpenAPI).
    text = (raw.get("filter") or "").strip()
    if "\x00" in text:
        raise BadRequest("filter must not contain NUL characters", field="filter")
    scope = sql.Scope(row.id, row.key, start, end)
    if text:
        scope.instances.append(instance_filter(session, text))
    visible = instance_visibility(who)
    if visible is not None:
        scope.instances.append(visible)
    durations = metric == "duration"
    figures, flows = sql.closed_figures(session, scope, durations)
    now = utcnow()
    sql.open_passages(session, scope, now, figures, flows)
    return {
        "process": row.key, "version": row.version, "versionId": row.id, "name": row.name, "metric": metric,
        "from": _iso(start), "to": _iso(end), "filter": text or None,
        "allInstances": visible is None, "at": _iso(now),
        "elements": _elements(row, figures, durations),
        "flows": {flow: flows.get(flow, 0) for flow, info in row.elements.items()
                  if info.get("kind") == "sequenceFlow"},
        "bottlenecks": _bottlenecks(row, figures) if durations else [],
        "longestWaiting": _waiting(row, sql.longest_waiting(session, scope, limit), now),
        "unrecordedInstances": sql.unrecorded_instances(session, scope),
    }


def _elements(row: ProcessVersion, figures: dict[str, sql.ElementFigures], durations: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for element, info in row.elements.items():
        if info.get("kind") in FLOW_NODE_KINDS:
            continue
        item = figures.get(element, sql.ElementFigures())
        body: dict[str, Any] = {"name": info.get("name"), "type": info.get("kind"), "count": item.passed,
                                "cancelled": item.cancelled, "waiting": item.waiting}
        if durations:
            body.update(avgSeconds=_round(item.avg), p90Seconds=_round(item.p90), maxSeconds=_round(item.max),
                        waitingAvgSeconds=_round(item.waiting_avg), waitingMaxSeconds=_round(item.waiting_max))
        found[element] = body
    return found


def _bottlenecks(row: ProcessVersion, figures: dict[str, sql.ElementFigures]) -> list[dict[str, Any]]:
    """The elements instances stay in longest: by p90, then average, of ended passages (waiting now beside)."""
    ranked = sorted(((e, f) for e, f in figures.items() if (f.p90 or 0) > 0 or (f.avg or 0) > 0),
                    key=lambda pair: (-(pair[1].p90 or 0), -(pair[1].avg or 0), pair[0]))
    return [{"elementId": element, "name": row.elements.get(element, {}).get("name"),
             "p90Seconds": _round(item.p90), "avgSeconds": _round(item.avg), "count": item.passed,
             "waiting": item.waiting} for element, item in ranked[:BOTTLENECKS]]


def _waiting(row: ProcessVersion, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    for item in rows:
        since = item["since"]
        item.update(name=row.elements.get(item["elementId"], {}).get("name"), since=_iso(since),
                    waitingSeconds=_round((now - since).total_seconds()))
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"
