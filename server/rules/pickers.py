"""What the rule editor's pickers offer: record types with their fields, processes, decisions, users,
groups, connectors, and the trigger and action types with the keys each takes. One read for the page;
the editor fills the rule's JSON from these, and saving checks everything again (checks.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import connectors
from server.auth.permissions import Principal, require_role
from server.models import DecisionVersion, Group, ProcessVersion, RecordType, User
from server.records.definition import SYSTEM_FIELDS
from server.rules.actions import ACTIONS
from server.rules.context import ROOTS_BY_TRIGGER
from server.rules.definition import PROCESS_EVENTS, RECORD_EVENTS, TRIGGER_KEYS, UNITS

READERS = ("admin", "modeler", "auditor")
MAX_PEOPLE = 500  # users and groups offered; more are typed (the check at save still finds them)


def _label(value: Any) -> str:
    return value.get("en") or next(iter(value.values()), "") if isinstance(value, dict) else str(value or "")


def pickers(session: Session, who: Principal) -> dict[str, Any]:
    require_role(who, *READERS)
    types = [{"key": row.key, "name": row.name_en,
              "fields": [{"key": f["key"], "type": f["type"], "label": _label(f.get("label"))}
                         for f in row.definition["fields"]] + [{"key": k, "type": "system", "label": k}
                                                               for k in SYSTEM_FIELDS]}
             for row in session.scalars(select(RecordType).where(RecordType.is_latest.is_(True))
                                        .order_by(RecordType.key))]
    return {
        "recordTypes": types,
        "processes": sorted(set(session.scalars(select(ProcessVersion.key)))),
        "decisions": sorted(set(session.scalars(select(DecisionVersion.key)))),
        "users": list(session.scalars(select(User.username).where(User.active.is_(True)).order_by(User.username)
                                      .limit(MAX_PEOPLE))),
        "groups": list(session.scalars(select(Group.name).order_by(Group.name).limit(MAX_PEOPLE))),
        "connectors": connectors.names(),
        "triggers": {kind: sorted(keys - {"type"}) for kind, keys in TRIGGER_KEYS.items()},
        "recordEvents": list(RECORD_EVENTS), "processEvents": list(PROCESS_EVENTS), "units": list(UNITS),
        "roots": {kind: sorted(roots) for kind, roots in ROOTS_BY_TRIGGER.items()},
        "actions": {kind: {"keys": sorted(spec.keys), "required": sorted(spec.required)}
                    for kind, spec in sorted(ACTIONS.items())},
    }
