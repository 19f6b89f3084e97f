"""Record types: save (a new version when the definition changed), list, read, JSON Schema.

Admins and modelers design types; everyone else sees the types some grant lets them read, and only the
fields they may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action, RecordPolicy
from server.errors import Forbidden, NotFound
from server.events import EventKind, SubjectType
from server.models import RecordType
from server.records import readers
from server.records.definition import SYSTEM_FIELDS, checksum, json_schema, read_definition
from server.records.links import check_links
from server.records.row_scopes import check_conditions
from server.records.schema_changes import recompute, schema_changes
from server.records.storage import create_or_alter, retype_preview, table_name, table_of

DESIGNERS = ("admin", "modeler")


def is_designer(who: Principal) -> bool:
    return who.has(*DESIGNERS)


def require_designer(who: Principal) -> None:
    if not is_designer(who):
        raise Forbidden("designing record types needs the role admin or modeler")


def policy_of(row: RecordType) -> RecordPolicy:
    definition = row.definition
    return RecordPolicy.from_config(row.key, definition.get("permissions", []),
                                    known_fields=[*(f["key"] for f in definition["fields"]), *SYSTEM_FIELDS])


# Built once: comparing mapped attributes costs more CPU than the query (every record request runs it).
_LATEST = select(RecordType).where(RecordType.key == bindparam("key"), RecordType.is_latest.is_(True))


def latest(session: Session, key: str) -> RecordType | None:
    return session.execute(_LATEST, {"key": key}).scalar_one_or_none()


def require_type(session: Session, key: str) -> RecordType:
    row = latest(session, key) if isinstance(key, str) and len(key) <= 40 else None
    if row is None:
        raise NotFound(f"no record type '{key}'")
    return row


def save(session: Session, raw: Any, actor: str, key: str | None = None, clear: bool = False
         ) -> tuple[RecordType, bool]:
    """(the latest version, whether this call made it). Same content as the latest: no new version.
    ``clear``: a field whose type changes loses the values that do not convert (else they refuse the save)."""
    definition = read_definition(raw, key)
    current = latest(session, definition["key"])
    digest = checksum(definition)
    if current is not None and current.checksum == digest:
        return current, False
    check_links(session, definition)
    check_conditions(definition, table_of(definition))
    if current is not None:
        readers.check_other_readers(session, current.definition, definition)
    removed, retyped = create_or_alter(session, current.definition if current else None, definition,
                                       {f["key"]: f for f in (current.removed_fields if current else [])}, clear)
    if current is not None:
        recompute(session, current.definition, definition)
        session.execute(update(RecordType).where(RecordType.id == current.id).values(is_latest=False))
    # After the latest, or after the versions a deleted type of this key left as its archive.
    version = current.version + 1 if current else (session.scalar(
        select(func.max(RecordType.version)).where(RecordType.key == definition["key"])) or 0) + 1
    row = RecordType(key=definition["key"], version=version,
                     name_en=definition["name"]["en"], name_zh=definition["name"]["zh"], definition=definition,
                     checksum=digest, table_name=table_name(definition["key"]), is_latest=True, created_by=actor,
                     removed_fields=list(removed.values()))
    session.add(row)
    session.flush()
    publish(session, Event(EventKind.RECORD_TYPE_SAVED, actor, subject_type=SubjectType.RECORD_TYPE,
                           subject_id=row.key,
                           data={"key": row.key, "version": row.version, "checksum": digest,
                                 "changes": schema_changes(current, definition),
                                 **({"retyped": retyped} if retyped else {})}))
    return row, True


def save_by(session: Session, who: Principal, raw: Any, key: str | None = None, clear: bool = False
            ) -> tuple[RecordType, bool]:
    require_designer(who)
    return save(session, raw, who.username, key, clear)


def preview(session: Session, who: Principal, raw: Any, key: str) -> dict[str, Any]:
    """What saving ``raw`` as ``key`` would change, without saving: the fields added, removed, relabelled and
    changed, and per field whose type changes how many records convert and which do not."""
    require_designer(who)
    definition = read_definition(raw, key)
    current = require_type(session, key)
    found = retype_preview(session, current.definition, definition)
    broken = readers.other_readers(session, definition, {c["field"] for c in found}) if found else []
    for change in found:  # what else the change touches: formulas recomputed, other types' readers refusing it
        change["recomputes"] = readers.formulas_reading(definition, {change["field"]})
        refusing = [f"{t}.{f}: {why}" for t, f, read, why in broken if read == change["field"]]
        if refusing and "refused" not in change:
            change["refused"] = "other record types read this field: " + "; ".join(refusing)
    return {"key": key, "version": current.version, "changes": schema_changes(current, definition),
            "retyped": found}


def _readable(who: Principal, row: RecordType) -> frozenset[str] | None:
    """The fields ``who`` may read of type ``row``; None: the type itself is not theirs to see."""
    keys = [f["key"] for f in row.definition["fields"]]
    if is_designer(who):
        return frozenset(keys)
    policy = policy_of(row)
    if not policy.allows(who, Action.READ):
        return None
    return policy.fields_for(who, Action.READ, keys)


def describe(row: RecordType, who: Principal) -> dict[str, Any]:
    visible = _readable(who, row)
    if visible is None:
        raise NotFound(f"no record type '{row.key}'")
    definition = dict(row.definition)
    definition["fields"] = [f for f in definition["fields"] if f["key"] in visible]
    if not is_designer(who):
        definition.pop("permissions", None)
    answer = {**definition, "version": row.version, "createdAt": row.created_at.isoformat() + "Z",
              "createdBy": row.created_by}
    if is_designer(who):  # read-only: what a save left out, kept until purged
        answer["removedFields"] = [{"key": f["key"], "type": f["type"], "label": f["label"]}
                                   for f in row.removed_fields or []]
    return answer


def list_types(session: Session, who: Principal) -> list[dict[str, Any]]:
    rows = session.execute(select(RecordType).where(RecordType.is_latest.is_(True)).order_by(RecordType.key))
    return [{"key": r.key, "name": {"en": r.name_en, "zh": r.name_zh}, "version": r.version}
            for r in rows.scalars() if _readable(who, r) is not None]


def get(session: Session, who: Principal, key: str) -> dict[str, Any]:
    return describe(require_type(session, key), who)


def schema(session: Session, who: Principal, key: str) -> dict[str, Any]:
    row = require_type(session, key)
    visible = _readable(who, row)
    if visible is None:
        raise NotFound(f"no record type '{key}'")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **json_schema(row.definition, sorted(visible, key=_order(row.definition)))}


def _order(definition: Mapping[str, Any]) -> Any:
    position = {f["key"]: i for i, f in enumerate(definition["fields"])}
    return lambda key: position[key]
