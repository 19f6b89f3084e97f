"""Deleting a record type (admins): refused while anything still uses it, naming what; otherwise its table is
dropped and its versions are kept as the archive (none is the latest any more), audited.

What uses a type: its records; the latest process versions that name it (a record form, a ``records.*``
connector); other types that relate to it, look through it or roll it up; the latest rules and dashboards
that name it. Saving the key again later starts a new version after the archived ones.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.errors import Conflict, Forbidden
from server.events import EventKind, SubjectType
from server.models import Dashboard, InstanceRecord, ProcessVersion, RecordType, RecordView, Rule
from server.records.many import drop_links, many_fields
from server.records.storage import table_of
from server.records.types import require_type

SHOWN = 10


def _process_users(session: Session, key: str) -> list[str]:
    found = []
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.is_latest.is_(True))):
        for element_id, info in version.elements.items():
            service = info.get("service") or {}
            named = (service.get("params") or {}).get("type", {}).get("value") \
                if str(service.get("connector", "")).startswith("records.") else None
            if info.get("recordForm") == key or named == key:
                found.append(f"process '{version.key}' (element '{element_id}')")
                break
    return found


def _type_users(session: Session, key: str) -> list[str]:
    found = []
    for row in session.scalars(select(RecordType).where(RecordType.is_latest.is_(True), RecordType.key != key)):
        for field in row.definition["fields"]:
            if key in (field.get("target"), field.get("source")):
                found.append(f"record type '{row.key}' (field '{field['key']}')")
                break
    return found


def _named_in(session: Session, model: Any, key: str, what: str) -> list[str]:
    needles = (f'"recordType": "{key}"', f'"type": "{key}"', f"record:{key}")
    rows = session.scalars(select(model).where(model.is_latest.is_(True)))
    return [f"{what} '{r.key}'" for r in rows
            if getattr(r, "deleted_at", None) is None and any(n in json.dumps(r.definition) for n in needles)
            or getattr(r, "trigger_subject", None) == f"record:{key}"]


def delete_type(session: Session, who: Principal, key: str) -> dict[str, Any]:
    if not who.has("admin"):
        raise Forbidden("deleting a record type needs the role admin")
    row = require_type(session, key)
    table = table_of(row.definition)
    count = session.scalar(select(func.count()).select_from(table)) or 0
    if count:
        ids = session.scalars(select(table.c.id).order_by(table.c.id).limit(SHOWN)).all()
        raise Conflict(f"record type '{key}' still has {count} record(s) (ids {', '.join(map(str, ids))}"
                       f"{', ...' if count > SHOWN else ''}); delete them first", records=count)
    users = [*_process_users(session, key), *_type_users(session, key), *_named_in(session, Rule, key, "rule"),
             *_named_in(session, Dashboard, key, "dashboard")]
    if users:
        raise Conflict(f"record type '{key}' is still used by {'; '.join(users[:SHOWN])}"
                       + (f" and {len(users) - SHOWN} more" if len(users) > SHOWN else ""), usedBy=users)
    for field in many_fields(row.definition):  # their foreign keys point at the table
        drop_links(session, key, field)
    table.drop(session.connection())
    session.execute(delete(InstanceRecord).where(InstanceRecord.type_key == key))
    session.execute(update(RecordType).where(RecordType.key == key).values(is_latest=False))
    views = session.execute(RecordView.__table__.delete().where(RecordView.type_key == key)).rowcount
    publish(session, Event(EventKind.RECORD_TYPE_DELETED, who.username, subject_type=SubjectType.RECORD_TYPE,
                           subject_id=key, data={"key": key, "version": row.version, "views": views}))
    return {"key": key, "deleted": True, "archivedVersions": row.version}
