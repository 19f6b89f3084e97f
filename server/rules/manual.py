"""Running a rule by hand: `POST /rules/{key}/trigger`, and the "Run rule" buttons of the record pages.

Designers may run any enabled rule (for records or none). Anyone else may run an enabled *manual*
rule of a record type for records they may update (read and update permission, row scope included):
the rule's actions act as the rule, so the person pressing the button must be allowed to change what
it is pressed on. Every press is audited (`rule.triggered`: who, which records, which runs).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.config import Config
from server.errors import BadRequest, Conflict, Forbidden, NotFound
from server.events import EventKind, SubjectType
from server.models import Rule
from server.queries import id_value
from server.records import service as records
from server.records.types import latest as latest_type
from server.rules import store
from server.rules.runs import offer
from server.rules.triggers import record_json

DESIGNERS = ("admin", "modeler")
MAX_RECORDS = 500


def record_context(session: Session, who: Principal, rule: Rule, record_id: Any,
                   action: Action = Action.READ) -> dict[str, Any]:
    """The record a run is for, as the rule sees it; a 404 when `who` may not read it, 403 when not `action`."""
    type_key = rule.definition["trigger"].get("recordType")
    if not type_key:
        raise BadRequest(f"rule '{rule.key}' is not about records; send no recordId", field="recordId")
    access = records.access(session, who, type_key, records.Action.READ)
    number = id_value(record_id)
    row = session.execute(select(access.table).where(access.table.c.id == number)).first() \
        if number is not None else None
    if row is None:
        raise NotFound(f"no {type_key} record {record_id}")
    values = dict(row._mapping)
    try:
        access.policy.require(who, Action.READ, record=values)
    except Forbidden:
        raise NotFound(f"no {type_key} record {record_id}") from None
    if action is not Action.READ:
        access.policy.require(who, action, record=values)
    record = record_json(access.definition, row)
    return {"record": record, "old": None, "new": record, "changed": []}


def _may_press(rule: Rule) -> bool:
    trigger = rule.definition["trigger"]
    return trigger["type"] == "manual" and bool(trigger.get("recordType"))


def buttons(session: Session, who: Principal, type_key: str) -> list[dict[str, str]]:
    """The enabled manual rules of a record type that `who` may press (on records they may update)."""
    rows = session.scalars(select(Rule).where(Rule.is_latest.is_(True), Rule.enabled.is_(True),
                                              Rule.deleted.is_(False), Rule.trigger_type == "manual")
                           .order_by(Rule.key))
    found = [r for r in rows if r.definition["trigger"].get("recordType") == type_key]
    if not found or who.has(*DESIGNERS):
        return [{"key": r.key, "name": r.name} for r in found]
    try:
        records.access(session, who, type_key, Action.UPDATE)
    except (Forbidden, NotFound):
        return []
    return [{"key": r.key, "name": r.name} for r in found]


def _ids(body: dict[str, Any]) -> list[Any]:
    ids = body.get("recordIds") if "recordIds" in body else ([body["recordId"]] if "recordId" in body else [None])
    if not isinstance(ids, list) or not ids or len(ids) > MAX_RECORDS:
        raise BadRequest(f"recordIds must be a list of 1 to {MAX_RECORDS} record ids", field="recordIds")
    if len(set(map(str, ids))) != len(ids):
        raise BadRequest("recordIds names a record twice", field="recordIds")
    return ids


def trigger(session: Session, config: Config, who: Principal, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run the rule now (for one record, several, or none), its condition checked as usual."""
    designer = who.has(*DESIGNERS)
    rule = store.latest(session, key)
    if rule is None or not (designer or _may_press(rule)):  # others see only the manual rules of record types
        raise NotFound(f"no rule '{key}'")
    if not rule.enabled:
        raise Conflict(f"rule '{key}' is disabled; enable it first")
    ids = _ids(body)
    type_key = rule.definition["trigger"].get("recordType")
    if body.get("recordType") is not None and body["recordType"] != type_key:
        raise BadRequest(f"rule '{key}' is about {type_key or 'no record type'}, not {body['recordType']}",
                         field="recordType")
    if not designer and None in ids:
        raise BadRequest("name the records to run the rule for (recordIds)", field="recordIds")
    payload = body.get("payload", {})
    if not isinstance(payload, dict):
        raise BadRequest("payload must be an object", field="payload")
    type_row = latest_type(session, type_key or "")
    action = Action.READ if designer else Action.UPDATE
    contexts = [record_context(session, who, rule, i, action) if i is not None else {} for i in ids]
    runs, skipped = [], []
    for record_id, context in zip(ids, contexts, strict=True):
        context.update(payload=payload, actor=who.username)
        run_id = offer(session, config, rule, f"manual:{uuid.uuid4().hex}", "manual", context, who.username,
                       type_row.definition if type_row else None)
        (runs if run_id is not None else skipped).append(run_id if run_id is not None else record_id)
    publish(session, Event(EventKind.RULE_TRIGGERED, who.username, subject_type=SubjectType.RULE, subject_id=key,
                           data={"version": rule.version, "records": [c["record"]["id"] for c in contexts if c],
                                 "runs": runs}))
    return {"runs": runs, "conditionFalse": [s for s in skipped if s is not None]}
