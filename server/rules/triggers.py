"""The audit subscriber: events of a committed-together change become rule runs in the same transaction.

Record events (record.created/updated/deleted) are offered to the enabled record rules of their type,
with `record` (the full record after the change; before it for a delete), `old`, `new` and `changed`;
they also keep the date rules' schedule rows of the record current. Process events are offered to
the rules of their process. The rules about a subject come from a per-process cache (cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event
from server.config import Config
from server.db import utcnow
from server.events import EventKind, TaskStatus
from server.models import HumanTask, ProcessInstance
from server.records.storage import table_of
from server.records.values import to_json
from server.rules import schedule
from server.rules.cache import CachedRule, record_type_of, rules_about, rules_changed
from server.rules.context import scope_of
from server.rules.definition import OVERDUE, PROCESS_EVENTS, overdue_key
from server.rules.runs import offer

RECORD_KINDS = {EventKind.RECORD_CREATED: "created", EventKind.RECORD_UPDATED: "updated",
                EventKind.RECORD_DELETED: "deleted"}


def _rules(session: Session, config: Config, subject: str) -> list[CachedRule]:
    return rules_about(session, subject, config.rule_cache_seconds)


def forget_rules(session: Session) -> None:
    """A rule was saved in this transaction: later events must see it."""
    rules_changed(session)


def record_json(definition: dict[str, Any], row: Any) -> dict[str, Any]:
    m = row._mapping
    keys = frozenset(f["key"] for f in definition["fields"])
    return {"id": m["id"], **to_json(definition, m, keys), "version": m["version"],
            "created_at": m["created_at"].isoformat() + "Z", "created_by": m["created_by"],
            "updated_at": m["updated_at"].isoformat() + "Z", "updated_by": m["updated_by"]}


def _record_context(session: Session, event: Event, kind: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    data = event.data
    type_row = record_type_of(session, data["type"])
    if type_row is None:
        return None
    definition = type_row.definition
    changes = data.get("changes", {})
    if kind == "deleted":
        record = {"id": data["id"], **{k: v["old"] for k, v in changes.items()}}
        return {"record": record, "old": record, "new": None, "changed": sorted(changes)}, definition
    table = table_of(definition)
    row = session.execute(select(table).where(table.c.id == data["id"])).first()
    if row is None:
        return None
    new = record_json(definition, row)
    old = None if kind == "created" else {**new, **{k: v["old"] for k, v in changes.items()}}
    return {"record": new, "old": old, "new": new, "changed": sorted(changes)}, definition


def _on_record(session: Session, config: Config, event: Event, kind: str) -> None:
    if "type" not in event.data or "id" not in event.data:
        return  # not a record write of the data engine (which always names type and id)
    rules = _rules(session, config, f"record:{event.data['type']}")
    if not rules:
        return
    found = _record_context(session, event, kind)
    if found is None:
        return
    context, definition = found
    context["actor"] = event.actor
    scope: dict[str, Any] | None = None  # built once, for the first rule that gets as far as its condition
    for rule in rules:
        trigger = rule.definition["trigger"]
        if trigger["type"] == "date":
            if kind == "deleted":
                schedule.unschedule(session, rule.key, event.data["id"])
            elif kind == "created" or trigger["field"] in context["changed"] or trigger["field"] == "updated_at":
                schedule.schedule_record(session, rule.key, trigger, event.data["id"],
                                         context["record"].get(trigger["field"]))
            continue
        if trigger["type"] != "record" or kind not in trigger["on"]:
            continue
        if "import" in event.data and not event.data.get("fireRules"):
            continue  # an import fires record rules only when asked to (options.fireRules)
        if kind == "updated" and trigger["fields"] and not set(trigger["fields"]) & set(context["changed"]):
            continue
        scope = scope if scope is not None else scope_of(context, rule.key, definition, {})
        offer(session, config, rule, f"event:{event.seq}", f"record.{kind}", context, event.actor, definition,
              scope=scope)


def _instance(session: Session, instance_id: str | None) -> ProcessInstance | None:
    """The instance, also when it is new in this transaction (not flushed: `get` would not see it)."""
    if instance_id is None:
        return None
    for obj in session.new:
        if isinstance(obj, ProcessInstance) and obj.id == instance_id:
            return obj
    return session.get(ProcessInstance, instance_id)


def process_context(instance: ProcessInstance, task: HumanTask | None, actor: str,
                    variables: dict[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"actor": actor, "instance": {
        "id": instance.id, "processKey": instance.process_key, "businessKey": instance.business_key,
        "status": instance.status, "variables": {**(variables or {}), **(instance.variables or {})}}}
    if task is not None:
        context["task"] = {"id": task.id, "name": task.name, "element": task.element_id, "assignee": task.assignee,
                           "dueAt": task.due_at.isoformat() + "Z" if task.due_at else None}
    return context


def _offer_if_overdue(session: Session, config: Config, instance: Any, rules: list[Any], event: Event) -> None:
    """A task due already (its due date moved into the past, or created past it) is overdue now: the sweep's
    watermark may be past its due date."""
    task = session.get(HumanTask, event.task_id) if rules and event.task_id else None
    if task is not None and task.status == TaskStatus.OPEN and task.due_at and task.due_at <= utcnow():
        for rule in rules:
            offer(session, config, rule, overdue_key(task), OVERDUE, process_context(instance, task, event.actor),
                  f"rule:{rule.key}")


def _on_process(session: Session, config: Config, event: Event) -> None:
    instance = _instance(session, event.instance_id)
    if instance is None:
        return
    kind = str(event.kind)
    about = _rules(session, config, f"process:{instance.process_key}")
    if kind in (EventKind.TASK_DUE_CHANGED, EventKind.TASK_CREATED):
        _offer_if_overdue(session, config, instance, [r for r in about if OVERDUE in r.definition["trigger"]["on"]],
                          event)
    rules = [r for r in about if kind in r.definition["trigger"]["on"]]
    if not rules:
        return
    task = session.get(HumanTask, event.task_id) if event.task_id else None
    context = process_context(instance, task, event.actor, event.data.get("variables"))
    for rule in rules:
        offer(session, config, rule, f"event:{event.seq}", kind, context, event.actor)


def listener(app: Flask) -> Callable[[Session, list[Event]], None]:
    def on_events(session: Session, events: list[Event]) -> None:
        config = app.config["BOMS"]
        for event in events:
            kind = RECORD_KINDS.get(str(event.kind))
            if kind is not None:
                _on_record(session, config, event, kind)
            elif str(event.kind) in PROCESS_EVENTS or event.kind == EventKind.TASK_DUE_CHANGED:
                _on_process(session, config, event)

    return on_events
