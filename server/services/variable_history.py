"""The change history of one instance's variables: who set which variable to what, and how."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.events import EventKind
from server.models import AuditEvent
from server.services.instances import get_instance


@dataclass
class VariableChange:
    seq: int
    at: datetime
    actor: str
    name: str
    old: Any
    new: Any
    how: str  # started, task completed (with the task's name), changed by an admin


def variable_history(session: Session, who: Principal, instance_id: str) -> list[VariableChange]:
    """Who set which variable to what, oldest first, from the instance's audit events."""
    get_instance(session, who, instance_id)  # NotFound, or Forbidden for whoever may not see the instance
    rows = session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id == instance_id,
        AuditEvent.kind.in_((EventKind.INSTANCE_STARTED, EventKind.TASK_COMPLETED,
                             EventKind.INSTANCE_VARIABLES_CHANGED)),
    ).order_by(AuditEvent.seq))
    current: dict[str, Any] = {}
    changes: list[VariableChange] = []
    for row in rows:
        data = json.loads(row.data or "{}")
        if row.kind == EventKind.INSTANCE_VARIABLES_CHANGED:
            for name, change in sorted((data.get("changes") or {}).items()):
                changes.append(VariableChange(row.seq, row.at, row.actor, name, change.get("old"), change.get("new"),
                                              "changed by an admin"))
                current[name] = change.get("new")
            continue
        how = "started" if row.kind == EventKind.INSTANCE_STARTED else f"task {data.get('name') or row.element_id}"
        for name, value in sorted((data.get("variables") or {}).items()):
            if current.get(name, object()) != value:
                changes.append(VariableChange(row.seq, row.at, row.actor, name, current.get(name), value, how))
            current[name] = value
    return changes
