"""Records of a type: list, create, read, update, delete, history — each one permission-checked call.

Every write validates through server/records/values.validate, checks the policy (action, fields, row
scope), writes with an optimistic version (a stale version is a 409 and changes nothing), lets the unique
indexes refuse duplicates (422 naming the field), and publishes one audit event with the changed fields'
old and new values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action, RecordPolicy
from server.db import utcnow
from server.errors import BadRequest, Conflict, Forbidden, FormInvalid, NotFound
from server.forms.validation import FieldMessage
from server.models import AuditEvent, RecordType
from server.queries import PageRequest, id_value
from server.records import listing
from server.records.storage import table_of
from server.records.types import policy_of, require_type
from server.records.values import to_json, validate

SUBJECT = "record"


@dataclass(frozen=True)
class Access:
    """What one person may do with one record type."""

    row: RecordType
    policy: RecordPolicy
    table: Table
    who: Principal

    @property
    def definition(self) -> dict[str, Any]:
        return self.row.definition

    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.definition["fields"]]

    def fields(self, action: Action) -> frozenset[str]:
        return self.policy.fields_for(self.who, action, self.field_keys())

    def readable(self) -> frozenset[str]:
        return self.fields(Action.READ)

    def columns(self) -> dict[str, Any]:
        """The columns ``who`` may filter and sort on: readable fields and the system columns."""
        from server.records.fields import KINDS

        kinds = {f["key"]: KINDS[f["type"]] for f in self.definition["fields"]}
        visible = {k: self.table.c[k] for k in self.readable() if kinds[k].can_filter}
        return {**visible, **{name: self.table.c[name] for name in listing.SYSTEM_COLUMNS}}

    def scope(self, action: Action) -> Any:
        return self.policy.row_filter(self.who, action, self.table.c)


def access(session: Session, who: Principal, type_key: str, action: Action) -> Access:
    row = require_type(session, type_key)
    policy = policy_of(row)
    if not policy.allows(who, Action.READ) and not policy.allows(who, action):
        raise NotFound(f"no record type '{type_key}'")
    policy.require(who, action)
    return Access(row, policy, table_of(row.definition), who)


def _subject(type_key: str, record_id: int) -> str:
    return f"{type_key}:{record_id}"


def record_json(a: Access, row: Any) -> dict[str, Any]:
    m = row._mapping
    return {"id": m["id"], "type": a.row.key, "version": m["version"], "fields": to_json(a.definition, m, a.readable()),
            "createdAt": m["created_at"].isoformat() + "Z", "createdBy": m["created_by"],
            "updatedAt": m["updated_at"].isoformat() + "Z", "updatedBy": m["updated_by"]}


def _json_values(a: Access, values: Mapping[str, Any]) -> dict[str, Any]:
    return to_json({"fields": [f for f in a.definition["fields"] if f["key"] in values]}, values, frozenset(values))


def _load(session: Session, a: Access, record_id: Any, action: Action, lock: bool = False) -> Any:
    number = id_value(record_id)
    statement = select(a.table).where(a.table.c.id == number) if number is not None else None
    row = session.execute(statement.with_for_update() if lock else statement).first() if statement is not None \
        else None
    if row is None:
        raise NotFound(f"no {a.row.key} record {record_id}")
    record = dict(row._mapping)
    if not a.policy.allows(a.who, Action.READ) or not _in_scope(a, Action.READ, record):
        raise NotFound(f"no {a.row.key} record {record_id}")
    if action is not Action.READ:
        a.policy.require(a.who, action, record=record)
    return row


def _in_scope(a: Access, action: Action, record: Mapping[str, Any]) -> bool:
    try:
        a.policy.require(a.who, action, record=record)
    except Forbidden:  # outside every scope that allows the action
        return False
    return True


def _unique_violation(session: Session, a: Access, values: Mapping[str, Any], own_id: int | None) -> FormInvalid:
    """After the database refused a write: which unique field already holds the value (a read, not a check)."""
    readable = a.readable()
    for field in a.definition["fields"]:
        key = field["key"]
        if field["unique"] and values.get(key) is not None:
            query = select(a.table.c.id).where(a.table.c[key] == values[key])
            if own_id is not None:
                query = query.where(a.table.c.id != own_id)
            if session.execute(query.limit(1)).first() is not None:
                name = key if key in readable else "fields"
                return FormInvalid({name: FieldMessage("is already used by another record", "unique")})
    return FormInvalid({"fields": FieldMessage("a value that must be unique is already used", "unique")})


def _check_version(given: Any, current: int, where: str) -> None:
    if given is None:
        return
    if isinstance(given, bool) or not isinstance(given, int):
        raise BadRequest("'version' must be the record's version number", field="version")
    if given != current:
        raise Conflict(f"{where} was changed by someone else (version {current}, you sent {given}); reload and retry",
                       version=current)


def list_records(session: Session, who: Principal, type_key: str, filter_text: str | None, sort: str | None,
                 request: PageRequest) -> dict[str, Any]:
    a = access(session, who, type_key, Action.READ)
    columns = a.columns()
    order = listing.order_of(sort, columns, a.table)
    statement = select(a.table).where(a.scope(Action.READ))
    if filter_text:
        statement = statement.where(listing.filter_clause(filter_text, columns))
    page = listing.fetch(session, statement, order, request)
    body: dict[str, Any] = {"items": [record_json(a, r) for r in page.rows], "pageSize": page.size,
                            "nextCursor": page.next_cursor}
    if page.page is not None:
        body["page"], body["total"] = page.page, page.total
    return body


def create(session: Session, who: Principal, type_key: str, values: Any) -> dict[str, Any]:
    a = access(session, who, type_key, Action.CREATE)
    writable = a.fields(Action.CREATE)
    stored = validate(a.definition, values, creating=True, visible=a.readable() | writable)
    given = set(values) if isinstance(values, Mapping) else set()
    a.policy.require(who, Action.CREATE, fields=given)
    now = utcnow()
    system = {"version": 1, "created_at": now, "created_by": who.username, "updated_at": now,
              "updated_by": who.username}
    if not _in_scope(a, Action.CREATE, {**stored, **system}):
        raise BadRequest(f"you may not create this {type_key} record: its values are outside your rows")
    try:
        with session.begin_nested():
            record_id = session.execute(insert(a.table).values({**stored, **system})).inserted_primary_key[0]
    except IntegrityError:
        raise _unique_violation(session, a, stored, None) from None
    changes = {k: {"old": None, "new": v} for k, v in _json_values(a, stored).items()}
    publish(session, Event("record.created", who.username, subject_type=SUBJECT,
                           subject_id=_subject(type_key, record_id),
                           data={"type": type_key, "id": record_id, "version": 1, "changes": changes}))
    row = session.execute(select(a.table).where(a.table.c.id == record_id)).first()
    return record_json(a, row)


def get(session: Session, who: Principal, type_key: str, record_id: Any) -> dict[str, Any]:
    a = access(session, who, type_key, Action.READ)
    return record_json(a, _load(session, a, record_id, Action.READ))


def update_record(session: Session, who: Principal, type_key: str, record_id: Any, body: Mapping[str, Any],
                  if_match: int | None = None) -> dict[str, Any]:
    a = access(session, who, type_key, Action.UPDATE)
    values = body.get("fields")
    if not isinstance(values, Mapping):
        raise BadRequest("send {\"fields\": {...}, \"version\": N}", field="fields")
    row = _load(session, a, record_id, Action.UPDATE, lock=True)
    old = dict(row._mapping)
    _check_version(body.get("version", if_match), old["version"], f"{type_key} record {old['id']}")
    stored = validate(a.definition, values, creating=False, visible=a.readable() | a.fields(Action.UPDATE))
    a.policy.require(who, Action.UPDATE, fields=set(values), record=old)
    changed = {k: v for k, v in stored.items() if old[k] != v}
    if not changed:
        return record_json(a, row)
    version = old["version"] + 1
    try:
        with session.begin_nested():
            result = session.execute(update(a.table).where(a.table.c.id == old["id"],
                                                           a.table.c.version == old["version"])
                                     .values({**changed, "version": version, "updated_at": utcnow(),
                                              "updated_by": who.username}))
    except IntegrityError:
        raise _unique_violation(session, a, changed, old["id"]) from None
    if result.rowcount != 1:
        raise Conflict(f"{type_key} record {old['id']} was changed by someone else; reload and retry")
    before, after = _json_values(a, {k: old[k] for k in changed}), _json_values(a, changed)
    publish(session, Event("record.updated", who.username, subject_type=SUBJECT,
                           subject_id=_subject(type_key, old["id"]),
                           data={"type": type_key, "id": old["id"], "version": version,
                                 "changes": {k: {"old": before[k], "new": after[k]} for k in changed}}))
    return record_json(a, session.execute(select(a.table).where(a.table.c.id == old["id"])).first())


def delete_record(session: Session, who: Principal, type_key: str, record_id: Any, version: Any = None) -> None:
    a = access(session, who, type_key, Action.DELETE)
    row = _load(session, a, record_id, Action.DELETE, lock=True)
    old = dict(row._mapping)
    _check_version(version, old["version"], f"{type_key} record {old['id']}")
    result = session.execute(delete(a.table).where(a.table.c.id == old["id"], a.table.c.version == old["version"]))
    if result.rowcount != 1:
        raise Conflict(f"{type_key} record {old['id']} was changed by someone else; reload and retry")
    values = {k: old[k] for k in a.field_keys() if old[k] is not None}
    publish(session, Event("record.deleted", who.username, subject_type=SUBJECT,
                           subject_id=_subject(type_key, old["id"]),
                           data={"type": type_key, "id": old["id"], "version": old["version"],
                                 "changes": {k: {"old": v, "new": None} for k, v in _json_values(a, values).items()}}))


def history(session: Session, who: Principal, type_key: str, record_id: Any) -> dict[str, Any]:
    """Every event of a record, oldest first: who, when, and each readable field's before and after."""
    a = access(session, who, type_key, Action.READ)
    number = id_value(record_id)
    events = [] if number is None else list(session.execute(
        select(AuditEvent).where(AuditEvent.subject_type == SUBJECT,
                                 AuditEvent.subject_id == _subject(type_key, number)).order_by(AuditEvent.seq)
    ).scalars())
    if not events:
        raise NotFound(f"no {type_key} record {record_id}")
    current = session.execute(select(a.table).where(a.table.c.id == number)).first()
    if current is not None:
        _load(session, a, number, Action.READ)
    else:  # deleted: judge the row scope on its last values (system fields from the first event)
        last = json.loads(events[-1].data)
        record = {k: v["old"] for k, v in last.get("changes", {}).items()}
        record.update(created_by=events[0].actor)
        if not _in_scope(a, Action.READ, record):
            raise NotFound(f"no {type_key} record {record_id}")
    readable = a.readable()
    entries = []
    for event in events:
        data = json.loads(event.data)
        entries.append({"at": event.at.isoformat() + "Z", "actor": event.actor, "kind": event.kind,
                        "version": data.get("version"),
                        "changes": {k: v for k, v in data.get("changes", {}).items() if k in readable}})
    return {"type": type_key, "id": number, "items": entries}
