"""The record-type designer's service: every type with its versions, and saving a designed definition.

Saving goes through the deploy path of ``*.record.json`` files (server/records/deploy.py), so a type
designed in the admin UI is checked, versioned and audited exactly as one deployed from version control,
and a refusal names the field as it would for the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.errors import NotFound
from server.models import RecordType
from server.records.deploy import SUFFIX, deploy_files
from server.records.types import latest, require_designer


@dataclass(frozen=True)
class TypeSummary:
    key: str
    name: dict[str, str]
    version: int
    versions: int
    saved_at: datetime
    saved_by: str


def designed_types(session: Session, who: Principal) -> list[TypeSummary]:
    require_designer(who)
    counts = dict(session.execute(select(RecordType.key, func.count()).group_by(RecordType.key)).all())
    rows = session.scalars(select(RecordType).where(RecordType.is_latest.is_(True)).order_by(RecordType.key))
    return [TypeSummary(r.key, {"en": r.name_en, "zh": r.name_zh}, r.version, counts.get(r.key, 1), r.created_at,
                        r.created_by) for r in rows]


@dataclass(frozen=True)
class Version:
    version: int
    saved_at: datetime
    saved_by: str
    fields: int


def designed_type(session: Session, who: Principal, key: str) -> tuple[dict[str, Any], list[Version]]:
    """The latest definition of a type (every field and grant) and its versions, newest first."""
    require_designer(who)
    row = latest(session, key) if isinstance(key, str) and len(key) <= 40 else None
    if row is None:
        raise NotFound(f"no record type '{key}'")
    versions = session.scalars(select(RecordType).where(RecordType.key == key).order_by(RecordType.version.desc()))
    return dict(row.definition), [Version(v.version, v.created_at, v.created_by, len(v.definition["fields"]))
                                  for v in versions]


def save_designed(session: Session, who: Principal, definition: dict[str, Any], clear: bool = False
                  ) -> dict[str, Any]:
    """A new version (or none, if nothing changed) of the designed type: the deploy summary of its file.
    ``clear``: the designer chose to clear the values that do not convert to a field's new type."""
    require_designer(who)
    key = definition.get("key") if isinstance(definition.get("key"), str) else "record"
    name = f"{key}{SUFFIX}"
    content = json.dumps({"recordType": definition}, ensure_ascii=False).encode()
    return deploy_files(session, who.username, [(name, content)], clear=clear)[0]
