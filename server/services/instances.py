"""Reading process instances (the projection) and cancelling them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, instance_visibility, require_instance_access, require_role
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.models import STATUSES, AuditEvent, HumanTask, ProcessInstance


@dataclass
class InstanceFilter:
    status: str | None = None
    key: str | None = None
    business_key: str | None = None
    started_by: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None


def list_instances(session: Session, who: Principal, f: InstanceFilter, page: int,
                   size: int) -> tuple[list[ProcessInstance], int]:
    query = select(ProcessInstance)
    if f.status:
        if f.status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}", field="status")
        query = query.where(ProcessInstance.status == f.status)
    for column, value in ((ProcessInstance.process_key, f.key), (ProcessInstance.business_key, f.business_key),
                          (ProcessInstance.started_by, f.started_by)):
        if value:
            query = query.where(column == value)
    if f.started_after:
        query = query.where(ProcessInstance.started_at >= f.started_after)
    if f.started_before:
        query = query.where(ProcessInstance.started_at < f.started_before)
    visible = instance_visibility(who)
    if visible is not None:
        query = query.where(visible)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id).offset((page - 1) * size).limit(size)
    )
    return list(rows), total


def get_instance(session: Session, who: Principal, instance_id: str) -> tuple[ProcessInstance, list[HumanTask]]:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance '{instance_id}' does not exist")
    tasks = list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.created_at)
    ))
    require_instance_access(who, instance, tasks)
    return instance, tasks


def history(session: Session, who: Principal, instance_id: str) -> list[AuditEvent]:
    get_instance(session, who, instance_id)
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
    ))


def cancel(session: Session, runner: Runner, who: Principal, instance_id: str, reason: str | None) -> ProcessInstance:
    instance = runner.lock_instance(session, instance_id)
    if instance.started_by != who.username:
        require_role(who, "admin")
    runner.cancel(session, instance, who.username, reason)
    return instance
