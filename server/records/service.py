"""Records of a type: list, create, read, update, delete, history — each one permission-checked call.

Every write validates through server/records/values.validate, checks the policy (action, fields, row
scope), writes with an optimistic version (a stale version is a 409 and changes nothing), lets the unique
indexes refuse duplicates (422 naming the field), and publishes one audit event with the changed fields'
old and new values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import utcnow
from server.errors import BadRequest, Conflict, FormInvalid, NotFound
from server.events import ENDED_STATUSES, EventKind, SubjectType
from server.forms.validation import FieldMessage
from server.models import AuditEvent, InstanceRecord, ProcessInstance
from server.queries import PageRequest, id_value
from server.records import files, ids, listing, many, me, money
from server.records.access import Access, access
from server.records.computed import compute
from server.records.numbering import next_number
from server.records.references import check_references, dependants
from server.records.values import to_json, validate

SUBJECT = SubjectType.RECORD


def _subject(type_key: str, record_id: int) -> str:
    return f"{type_key}:{record_id}"


def record_json(a: Access, row: Any) -> dict[str, Any]:
    return a.record_json(row)


def _json_values(a: Access, values: Mapping[str, Any]) -> dict[str, Any]:
    return to_json({"fields": [f for f in a.definition["fields"] if f["key"] in values]}, values, frozenset(values))


def _load(session: Session, a: Access, record_id: Any, action: Action, lock: bool = False) -> Any:
    number = id_value(record_id)
    statement = a.select().where(a.table.c.id == number) if number is not None else None
    row = session.execute(statement.with_for_update() if lock else statement).first() if statement is not None \
        else None
    if row is None:
        raise NotFound(f"no {a.row.key} record {record_id}")
    record = dict(row._mapping)
    if not a.policy.allows(a.who, Action.READ) or not a.covers(Action.READ, record):
        raise NotFound(f"no {a.row.key} record {record_id}")
    if action is not Action.READ:
        a.policy.require(a.who, action, record=record)
    return row


def _reload(session: Session, a: Access, record_id: int) -> Any:
    return session.execute(a.select().where(a.table.c.id == record_id)).first()




def _unique_violation(session: Session, a: Access, values: Mapping[str, Any], own_id: int | None) -> FormInvalid:
    """After the database refused a write: which unique field already holds the value, or which related record
    is gone (reads, not checks)."""
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
    try:  # not a unique value: a related record deleted meanwhile (its foreign key refused the link)
        check_references(session, a.who, a.definition, values)
    except FormInvalid as exc:
        return exc
    return FormInvalid({"fields": FieldMessage("a value that must be unique is already used", "unique")})


def check_version(given: Any, current: int, where: str) -> None:
    if given is None:
        return
    if isinstance(given, bool) or not isinstance(given, int):
        raise BadRequest("'version' must be the record's version number", field="version")
    if given != current:
        raise Conflict(f"{where} was changed by someone else (version {current}, you sent {given}); reload and retry",
                       version=current)


def list_records(session: Session, who: Principal, type_key: str, filter_text: str | None, sort: str | None,
                 request: PageRequest, search: str | None = None, fields: str | None = None,
                 counted: bool = True) -> dict[str, Any]:
    """A page of records; a numbered page says ``total`` (the exact count) up to listing.COUNT_CAP matches, and
    above it ``totalAbove`` (the cap) instead (``counted=False``: neither, for callers that only take the rows)."""
    a = access(session, who, type_key, Action.READ)
    columns = a.columns()
    where = listing.filter_clause(filter_text, columns) if filter_text else None
    order = listing.order_of(sort, {k: v for k, v in columns.items() if not me.is_me(k)}, a.table,
                             listing.present(where))
    through = [key.column for key, _ in order.keys if key.column.key in a.through.paths]
    statement = a.select(*through).where(a.scope(Action.READ))
    if where is not None:
        statement = statement.where(where)
    if search:
        statement = statement.where(listing.search_clause(search, a.json_definition, columns))
    only = listing.projection(fields, a.readable())
    page = listing.fetch(session, statement, order, request, counted)
    body: dict[str, Any] = {"items": [a.record_json(r, only) for r in page.rows], "pageSize": page.size,
                            "nextCursor": page.next_cursor}
    if page.page is not None:
        body["page"] = page.page
        if page.capped:
            body["totalAbove"] = listing.COUNT_CAP
        elif counted:
            body["total"] = page.total
    return body


def insert_one(session: Session, a: Access, values: Any, events: list[Event] | None = None
               ) -> tuple[int, dict[str, Any]]:
    """Validate, number, compute and insert one record (in a savepoint: a refusal leaves nothing, not even a
    used auto-number); the id and the stored values. ``events``: collect the audit event there (a bulk call
    publishes its events together, one per record) instead of publishing it now."""
    who, type_key = a.who, a.row.key
    writable = a.fields(Action.CREATE)
    stored = validate(a.definition, values, creating=True, visible=a.readable() | writable)
    given = set(values) if isinstance(values, Mapping) else set()
    a.policy.require(who, Action.CREATE, fields=given)
    check_references(session, who, a.definition, stored)
    stored = files.resolve(session, a, stored, None)
    now = utcnow()
    system = {"version": 1, "created_at": now, "created_by": who.username, "updated_at": now,
              "updated_by": who.username}
    if not a.covers(Action.CREATE, {**stored, **system}):
        raise BadRequest(f"you may not create this {type_key} record: its values are outside your rows")
    try:
        with session.begin_nested():
            for field in a.definition["fields"]:
                if field["type"] == "auto_number":
                    stored[field["key"]] = next_number(session, type_key, field, now)
            stored.update(compute(type_key, a.definition, {**dict.fromkeys(a.stored_keys()), **stored}))
            given = ids.explicit_id(session, a.table, type_key)
            record_id = session.execute(insert(a.table).values({**many.columns_only(a.definition, stored), **system,
                                                                **({"id": given} if given else {})})
                                        ).inserted_primary_key[0]
            many.write_links(session, a.definition, record_id, None, stored)
    except IntegrityError:
        raise _unique_violation(session, a, stored, None) from None
    files.bind(session, type_key, a.definition, record_id, None, stored)
    changes = {k: {"old": None, "new": v} for k, v in _json_values(a, stored).items()}
    event = Event(EventKind.RECORD_CREATED, who.username, subject_type=SUBJECT,
                  subject_id=_subject(type_key, record_id),
                  data={"type": type_key, "id": record_id, "version": 1, "changes": changes})
    if events is None:
        publish(session, event)
    else:
        events.append(event)
    return record_id, stored


def create(session: Session, who: Principal, type_key: str, values: Any) -> dict[str, Any]:
    a = access(session, who, type_key, Action.CREATE)
    record_id, _ = insert_one(session, a, values)
    return record_json(a, _reload(session, a, record_id))


def get(session: Session, who: Principal, type_key: str, record_id: Any) -> dict[str, Any]:
    a = access(session, who, type_key, Action.READ)
    return record_json(a, _load(session, a, record_id, Action.READ))


def _write(session: Session, a: Access, old: Mapping[str, Any], changed: dict[str, Any], actor: str) -> int:
    """Store ``changed`` (with the formulas they change) as the next version, audited; the new version."""
    changed = {**changed, **compute(a.row.key, a.definition, {**{k: old[k] for k in a.stored_keys()}, **changed})}
    changed = {k: v for k, v in changed.items() if old[k] != v}
    if not changed:
        return int(old["version"])
    version = old["version"] + 1
    try:
        with session.begin_nested():
            result = session.execute(update(a.table).where(a.table.c.id == old["id"],
                                                           a.table.c.version == old["version"])
                                     .values({**many.columns_only(a.definition, changed), "version": version,
                                              "updated_at": utcnow(), "updated_by": actor}))
            many.write_links(session, a.definition, old["id"], old, changed)
    except IntegrityError:
        raise _unique_violation(session, a, changed, old["id"]) from None
    if result.rowcount != 1:
        raise Conflict(f"{a.row.key} record {old['id']} was changed by someone else; reload and retry")
    files.bind(session, a.row.key, a.definition, old["id"], old, changed)
    before, after = _json_values(a, {k: old[k] for k in changed}), _json_values(a, changed)
    publish(session, Event(EventKind.RECORD_UPDATED, actor, subject_type=SUBJECT,
                           subject_id=_subject(a.row.key, old["id"]),
                           data={"type": a.row.key, "id": old["id"], "version": version,
                                 "changes": {k: {"old": before[k], "new": after[k]} for k in changed}}))
    return version


def update_one(session: Session, a: Access, record_id: Any, body: Any, if_match: int | None = None) -> int:
    if not isinstance(body, Mapping) or not isinstance(body.get("fields"), Mapping):
        raise BadRequest("send {\"fields\": {...}, \"version\": N}", field="fields")
    values = body["fields"]
    row = _load(session, a, record_id, Action.UPDATE, lock=True)
    old = money.fold(a.definition, many.with_links(session, a.definition, dict(row._mapping)))
    check_version(body.get("version", if_match), old["version"], f"{a.row.key} record {old['id']}")
    stored = validate(a.definition, values, creating=False, visible=a.readable() | a.fields(Action.UPDATE))
    a.policy.require(a.who, Action.UPDATE, fields=set(values), record=old)
    if not a.covers(Action.UPDATE, {**old, **stored}):  # nor move it out of the rows one may update
        raise BadRequest(f"you may not change this {a.row.key} record so: its values would be outside your rows")
    check_references(session, a.who, a.definition, stored)
    stored = files.resolve(session, a, stored, int(old["id"]))
    _write(session, a, old, {k: v for k, v in stored.items() if old[k] != v}, a.who.username)
    return int(old["id"])


def update_record(session: Session, who: Principal, type_key: str, record_id: Any, body: Mapping[str, Any],
                  if_match: int | None = None) -> dict[str, Any]:
    a = access(session, who, type_key, Action.UPDATE)
    return record_json(a, _reload(session, a, update_one(session, a, record_id, body, if_match)))


def _remove(session: Session, a: Access, old: Mapping[str, Any], depth: int = 0) -> None:
    """Delete one loaded record after what its dependants' relations say (restrict, set null, cascade);
    refused while a process instance not ended works on it (its record form and connectors need it)."""
    working = session.scalars(select(InstanceRecord.instance_id).join(
        ProcessInstance, ProcessInstance.id == InstanceRecord.instance_id).where(
        InstanceRecord.type_key == a.row.key, InstanceRecord.record_id == old["id"],
        ProcessInstance.status.not_in(ENDED_STATUSES)).limit(10)).all()
    if working:
        raise Conflict(f"{a.row.key} record {old['id']} cannot be deleted: process instance(s) "
                       f"{', '.join(working)} work on it; let them end or cancel them first", instances=working)
    for found in dependants(session, a.row.key, old["id"]):
        where = f"{found.type_key} record(s) {', '.join(map(str, found.ids[:10]))} (field '{found.field['key']}')"
        if found.field["onDelete"] == "restrict":
            raise Conflict(f"{a.row.key} record {old['id']} cannot be deleted: {where} point to it")
        other = access(session, a.who, found.type_key, Action.READ)
        for dependant_id in found.ids:
            row = session.execute(select(other.table).where(other.table.c.id == dependant_id).with_for_update()
                                  ).first()
            if row is None:
                continue
            if found.field["onDelete"] == "set_null":
                _write(session, other, *many.unlinked(session, other.definition, dict(row._mapping), found.field,
                                                      old["id"]), a.who.username)
            elif depth > 10:
                raise Conflict(f"{a.row.key} record {old['id']}: deleting would cascade more than 10 levels deep")
            else:
                other.policy.require(a.who, Action.DELETE, record=dict(row._mapping))
                _remove(session, other, dict(row._mapping), depth + 1)
    try:
        with session.begin_nested():
            result = session.execute(delete(a.table).where(a.table.c.id == old["id"],
                                                           a.table.c.version == old["version"]))
    except IntegrityError:  # a record pointing here was made meanwhile: the foreign key holds
        raise Conflict(f"{a.row.key} record {old['id']} cannot be deleted: another record points to it now") \
            from None
    if result.rowcount != 1:
        raise Conflict(f"{a.row.key} record {old['id']} was changed by someone else; reload and retry")
    files.drop(session, a.row.key, old["id"])
    # Its process links go with it (ids are never reused, server/records/ids.py; the links must not linger).
    session.execute(delete(InstanceRecord).where(InstanceRecord.type_key == a.row.key,
                                                 InstanceRecord.record_id == old["id"]))
    values = {k: old[k] for k in a.stored_keys() if old[k] is not None}
    publish(session, Event(EventKind.RECORD_DELETED, a.who.username, subject_type=SUBJECT,
                           subject_id=_subject(a.row.key, old["id"]),
                           data={"type": a.row.key, "id": old["id"], "version": old["version"],
                                 "changes": {k: {"old": v, "new": None} for k, v in _json_values(a, values).items()}}))


def delete_one(session: Session, a: Access, record_id: Any, version: Any = None) -> None:
    row = _load(session, a, record_id, Action.DELETE, lock=True)
    old = money.fold(a.definition, row._mapping)
    check_version(version, old["version"], f"{a.row.key} record {old['id']}")
    _remove(session, a, old)


def delete_record(session: Session, who: Principal, type_key: str, record_id: Any, version: Any = None) -> None:
    delete_one(session, access(session, who, type_key, Action.DELETE), record_id, version)


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
        if not a.covers(Action.READ, record):
            raise NotFound(f"no {type_key} record {record_id}")
    readable = a.readable()
    entries = []
    for event in events:
        data = json.loads(event.data)
        entries.append({"at": event.at.isoformat() + "Z", "actor": event.actor, "kind": event.kind,
                        "version": data.get("version"),
                        "changes": {k: v for k, v in data.get("changes", {}).items() if k in readable}})
    return {"type": type_key, "id": number, "items": entries}
