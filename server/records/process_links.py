"""Records and the processes that work on them: the instance's reference to a record (one per record type),
the processes bound to a type (their none start event has ``camunda:formKey="record:<type>"``), and the
``record`` variable an instance sees of its record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.tasks import can_start, instance_visibility
from server.db import utcnow
from server.models import InstanceRecord, ProcessInstance, ProcessVersion

RECORD_VARIABLE = "record"
MAX_LISTED = 50


def referenced(session: Session, instance_id: str, type_key: str) -> int | None:
    """The id of the record of ``type_key`` the instance works on, if any."""
    return session.scalar(select(InstanceRecord.record_id).where(InstanceRecord.instance_id == instance_id,
                                                                 InstanceRecord.type_key == type_key))


def link(session: Session, instance_id: str, type_key: str, record_id: int, actor: str) -> None:
    """Make the instance reference the record (kept if it references one of this type already)."""
    if referenced(session, instance_id, type_key) is None:
        session.add(InstanceRecord(instance_id=instance_id, type_key=type_key, record_id=record_id,
                                   linked_at=utcnow(), linked_by=actor))
        session.flush()


def record_variable(record: Mapping[str, Any]) -> dict[str, Any]:
    """What an instance sees of a record (as its reader saw it): ``record.id``, ``record.amount``, ..."""
    return {"type": record["type"], "id": record["id"], "version": record["version"], **record["fields"]}


def bound_start(version: ProcessVersion) -> str | None:
    """The record type a process version starts from, if its none start event has a record form."""
    return next((e["recordForm"] for e in version.elements.values()
                 if e.get("kind") == "startEvent" and e.get("recordForm")), None)


def bound_processes(session: Session, who: Principal, type_key: str) -> list[ProcessVersion]:
    """The latest processes started from records of ``type_key`` that ``who`` may start."""
    rows = session.scalars(select(ProcessVersion).where(ProcessVersion.is_latest.is_(True))
                           .order_by(ProcessVersion.key))
    return [r for r in rows if bound_start(r) == type_key and can_start(who, r)]


@dataclass(frozen=True)
class LinkedInstance:
    id: str
    process_key: str
    name: str | None
    business_key: str | None
    status: str
    started_at: datetime
    started_by: str | None


def linked_instances(session: Session, who: Principal, type_key: str, record_id: int) -> list[LinkedInstance]:
    """The instances working on a record that ``who`` may see (started, has a task in, copied on; everyone
    for those who read everything), newest first; the caller may read the record."""
    statement = (
        select(ProcessInstance, ProcessVersion.name).join(InstanceRecord,
                                                          InstanceRecord.instance_id == ProcessInstance.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(InstanceRecord.type_key == type_key, InstanceRecord.record_id == record_id))
    visible = instance_visibility(who)
    if visible is not None:
        statement = statement.where(visible)
    rows = session.execute(statement.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
                           .limit(MAX_LISTED))
    return [LinkedInstance(i.id, i.process_key, name, i.business_key, i.status, i.started_at, i.started_by)
            for i, name in rows]
