"""The instance page's reads, for the staff pages and the admin UI: the instance with its open tasks,
its history as the timeline renders it, and the markers and XML of its diagram.

Nothing here loads a workflow: it reads the projections and the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.engine.modification import MOVABLE_KINDS
from server.events import LIVE_STATUSES, EventKind, InstanceStatus, TaskStatus
from server.models import AuditEvent, HumanTask, ProcessInstance
from server.services.field_access import hidden_for, without
from server.services.instances import get_instance


@dataclass
class InstanceView:
    instance: ProcessInstance
    open_tasks: list[HumanTask]
    events: list[dict[str, Any]]
    completed: list[str]
    active: list[str]
    taken: list[str]
    may_withdraw: bool = False  # the initiator or an approver; services/task_return.withdraw decides
    variables: dict[str, Any] | None = None  # what the reader may see of them (field permissions)
    # Admins move a stuck token (instance modification): the elements a token may be placed before.
    movable: list[tuple[str, str]] | None = None


def instance_view(session: Session, who: Principal, instance_id: str) -> InstanceView:
    """Raises NotFound / Forbidden like the API (get_instance checks access)."""
    instance, tasks = get_instance(session, who, instance_id)
    elements = instance.version.elements
    completed, active, taken = diagram_markers(instance.visited_elements, instance.active_elements, elements)
    hidden = hidden_for(who, instance, tasks)
    involved = instance.started_by == who.username or any(t.completed_by == who.username for t in tasks)
    running = instance.status == InstanceStatus.RUNNING
    movable = None
    if who.has("admin") and instance.status in LIVE_STATUSES:
        movable = sorted(((i, e.get("name") or i) for i, e in elements.items() if e.get("kind") in MOVABLE_KINDS),
                         key=lambda pair: pair[1].lower())
    return InstanceView(instance, [t for t in tasks if t.status == TaskStatus.OPEN],
                        history_events(session, instance, hidden), completed, active, taken, involved and running,
                        without(instance.variables, hidden), movable)


def diagram_markers(visited: list[str], active: list[str], elements: dict[str, Any]) -> tuple[list[str], ...]:
    """(completed, active, taken) element ids for the diagram.

    `visited_elements` can also hold elements the engine has only scheduled (a gateway waiting behind
    the open task, with the flow into it), so a node counts as completed only when reached by a taken
    flow from a completed node (or when no visited flow leads to it: a start or boundary event), and a
    flow counts as taken only when it leaves a completed node.
    """
    flows = {i: elements[i] for i in visited if elements.get(i, {}).get("kind") == "sequenceFlow"}
    nodes = {i for i in visited if i not in flows}
    now = set(active)
    entered = {info.get("target") for info in flows.values()}
    done = {n for n in nodes - now if n not in entered}
    taken: set[str] = set()
    changed = True
    while changed:  # a fixed point: at most one pass per node on the longest path
        changed = False
        for flow_id, info in flows.items():
            if flow_id not in taken and info.get("source") in done:
                taken.add(flow_id)
                target = info.get("target")
                if target in nodes and target not in now and target not in done:
                    done.add(target)
                changed = True
    return sorted(done), sorted(now), sorted(taken)


def _labels(form: dict[str, Any] | None) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Field titles and enum value names of a form, to show submitted data as the user saw it."""
    titles, choices = {}, {}
    for name, prop in ((form or {}).get("properties") or {}).items():
        titles[name] = prop.get("title") or name
        if prop.get("enum") and prop.get("x-enumNames"):
            choices[name] = dict(zip((str(v) for v in prop["enum"]), prop["x-enumNames"], strict=False))
    return titles, choices


def _fields(variables: dict[str, Any], form: dict[str, Any] | None) -> tuple[list, list]:
    """(fields, comments) as (label, value) pairs; free-text comments are shown apart, as quotes."""
    titles, choices = _labels(form)
    fields, comments = [], []
    for name, value in (variables or {}).items():
        label = titles.get(name, name)
        if isinstance(value, str) and name in choices:
            value = choices[name].get(value, value)
        (comments if "comment" in name.lower() and isinstance(value, str) else fields).append((label, value))
    return fields, comments


def history_events(session: Session, instance: ProcessInstance,
                   hidden: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """The instance's audit events, oldest first, as the dicts `inbox/_history.html` renders:

    kind, at (naive UTC datetime), actor, name (the element's or task's name), fields and comments
    (submitted data, labelled as on the form), and per kind: targets (gateway), decision and outputs
    (decision table), assignee, candidates, due (task created), reason / message.
    The caller has checked access to the instance; `hidden` are fields the reader may not see (field_access.py).
    """
    elements = instance.version.elements
    rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq))
    events = []
    for row in rows:
        data: dict[str, Any] = json.loads(row.data or "{}")
        for key in ("variables", "result", "outputs") if hidden else ():
            if isinstance(data.get(key), dict):
                data[key] = {name: value for name, value in data[key].items() if name not in hidden}
        element = elements.get(row.element_id or "", {})
        event: dict[str, Any] = {
            "seq": row.seq, "kind": row.kind, "at": row.at, "actor": row.actor, "element_id": row.element_id,
            "name": data.get("name") or element.get("name") or row.element_id, "data": data,
            "fields": [], "comments": [],
        }
        if row.kind == EventKind.INSTANCE_STARTED:
            event["fields"], event["comments"] = _fields(data.get("variables") or {}, instance.version.start_form)
        elif row.kind == EventKind.TASK_COMPLETED:
            event["fields"], event["comments"] = _fields(data.get("variables") or {}, element.get("form"))
        elif row.kind == EventKind.GATEWAY_DECIDED:
            event["targets"] = [elements.get(t, {}).get("name") or t for t in data.get("targets") or []]
        elif row.kind == EventKind.DECISION_EVALUATED:
            event["decision"] = data.get("decision")
            event["outputs"] = data.get("outputs") or {}
        elif row.kind == EventKind.TASK_CREATED:
            event["assignee"] = data.get("assignee")
            event["candidates"] = (data.get("candidateGroups") or []) + (data.get("candidateUsers") or [])
            event["due"] = _parse_time(data.get("due"))
        elif row.kind == EventKind.TASK_CLAIMED:
            event["assignee"] = data.get("assignee")
        events.append(event)
    return events


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def diagram_xml(session: Session, who: Principal, instance_id: str) -> str:
    instance, _tasks = get_instance(session, who, instance_id)
    return instance.version.bpmn_xml

