"""Changes to a deployed record type beyond adding columns: what each save changed (for its audit event),
recomputing stored formulas and sub-table rollups when their definition changed, and purging a removed field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.errors import BadRequest, Forbidden, FormInvalid
from server.events import EventKind, SubjectType
from server.models import RecordType, StoredFile
from server.records import readers
from server.records.computed import compute
from server.records.fields import KINDS
from server.records.many import drop_links, is_many
from server.records.storage import purge_column, stored_fields, table_of

BATCH = 1000


def schema_changes(current: RecordType | None, new: Mapping[str, Any]) -> dict[str, list[str]]:
    """The field keys added, removed, relabelled and otherwise changed by this save (the audit event's data)."""
    if current is None:
        return {"added": [f["key"] for f in new["fields"]]}
    before = {f["key"]: f for f in current.definition["fields"]}
    after = {f["key"]: f for f in new["fields"]}
    changes = {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
               "relabelled": sorted(k for k in set(before) & set(after) if before[k]["label"] != after[k]["label"]),
               "changed": sorted(k for k in set(before) & set(after)
                                 if {**before[k], "label": None} != {**after[k], "label": None})}
    return {k: v for k, v in changes.items() if v}


def _computed_on_write(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f["key"]: f for f in definition["fields"]
            if f["type"] == "formula" or (f["type"] == "rollup" and "subTable" in f)}


def recompute(session: Session, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """A formula or sub-table rollup added or changed, or a field a formula reads changed its type: every
    existing record gets its computed values now (a record a formula fails on refuses the save, naming the
    record, the formula and the type change it follows)."""
    before, after = _computed_on_write(old), _computed_on_write(new)
    changed_types = readers.retyped(old, new)
    following = set(readers.formulas_reading(new, set(changed_types)))
    if all(before.get(k) == f for k, f in after.items()) and not following:
        return
    table = table_of(new)
    keys = [f["key"] for f in stored_fields(new)]
    last = 0
    while True:
        rows = list(session.execute(select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)))
        if not rows:
            return
        for row in rows:
            values = {k: row._mapping[k] for k in keys}
            try:
                computed = compute(new["key"], new, values)
            except FormInvalid as exc:
                field, message = next(iter(exc.details.get("fields", {}).items()), ("fields", "fails"))
                raise BadRequest(f"record type '{new['key']}' field '{field}': {message} (record {row.id})"
                                 f"{_because(new, field, changed_types)}; change the formula or the record first",
                                 field=field) from None
            changed = {k: v for k, v in computed.items() if values.get(k) != v}
            if changed:
                session.execute(update(table).where(table.c.id == row.id).values(changed))
        last = rows[-1].id


def _because(definition: Mapping[str, Any], formula: str, changed: Mapping[str, Any]) -> str:
    """Which type change made the formula fail, if one did."""
    for key, (before, after) in changed.items():
        if formula in readers.formulas_reading(definition, {key}):
            return f", after field '{key}' changes from {before['type']} to {after['type']}"
    return ""


def purge_field(session: Session, who: Principal, type_key: str, field_key: Any) -> dict[str, Any]:
    """Drop a removed field's column and data for good (admins only; audited)."""
    from server.records.types import require_type

    if not who.has("admin"):
        raise Forbidden("purging a field's data needs the role admin")
    row = require_type(session, type_key)
    removed = {f["key"]: f for f in row.removed_fields or []}
    if not isinstance(field_key, str) or field_key not in removed:
        live = any(f["key"] == field_key for f in row.definition["fields"])
        raise BadRequest(f"record type '{type_key}': '{field_key}' is " + (
            "still a field; remove it from the definition first" if live else "not a removed field") +
            f" (removed fields: {', '.join(sorted(removed)) or 'none'})", field="field")
    if KINDS[removed[field_key]["type"]].stored(removed[field_key]):
        purge_column(session, row.definition, field_key)
    elif is_many(removed[field_key]):
        drop_links(session, type_key, removed[field_key])
    if removed[field_key]["type"] == "attachment":  # the files' rows go; the store's sweep removes their bytes
        session.execute(delete(StoredFile).where(StoredFile.record_type == type_key, StoredFile.field == field_key))
    remaining = [f for k, f in removed.items() if k != field_key]
    session.execute(update(RecordType).where(RecordType.key == type_key).values(removed_fields=remaining))
    publish(session, Event(EventKind.RECORD_TYPE_FIELD_PURGED, who.username, subject_type=SubjectType.RECORD_TYPE,
                           subject_id=type_key, data={"key": type_key, "field": field_key}))
    return {"key": type_key, "purged": field_key, "removedFields": [f["key"] for f in remaining]}
