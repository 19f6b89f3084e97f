"""Reading process instances (the projection) and cancelling them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, instance_visibility, require_instance_access, require_role
from server.engine.human_tasks import open_tasks_after_step
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.models import STATUSES, AuditEvent, HumanTask, InstanceCc, ProcessInstance, ProcessVersion
from server.models.instance import VARIABLE_NAME, variable_text
from server.queries import Page, PageRequest, Sorting, fetch_page

# Newest first; the id breaks ties between instances started in the same microsecond.
INSTANCE_SORTING = Sorting({"started": ProcessInstance.started_at}, ProcessInstance.id, default="-started")


@dataclass
class InstanceFilter:
    """The instance list's filters, for the API and the admin list alike. Times are naive UTC, `before` exclusive."""

    status: str | None = None
    key: str | None = None
    version: int | None = None
    business_key: str | None = None
    started_by: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    var: str | None = None  # a variable name; with `value`, instances whose variable has that value as text
    value: str | None = None

    def clauses(self, session: Session) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.status:
            if self.status not in STATUSES:
                raise BadRequest(f"status must be one of {', '.join(STATUSES)}", field="status")
            clauses.append(ProcessInstance.status == self.status)
        for column, value in ((ProcessInstance.process_key, self.key), (ProcessInstance.business_key,
                              self.business_key), (ProcessInstance.started_by, self.started_by)):
            if value:
                clauses.append(column == value)
        if self.version is not None:
            clauses.append(ProcessInstance.version_id.in_(select(ProcessVersion.id).where(
                ProcessVersion.version == self.version, *([ProcessVersion.key == self.key] if self.key else []))))
        if self.started_after:
            clauses.append(ProcessInstance.started_at >= self.started_after)
        if self.started_before:
            clauses.append(ProcessInstance.started_at < self.started_before)
        if self.var:
            if not VARIABLE_NAME.match(self.var):
                raise BadRequest("var must be a variable name: letters, digits and _", field="var")
            text = variable_text(session, self.var)
            # A name without a value asks which instances have the variable at all.
            clauses.append(text == self.value if self.value else text.is_not(None))
        return clauses


def list_instances(session: Session, who: Principal, f: InstanceFilter, request: PageRequest) -> Page[ProcessInstance]:
    """The instances `who` may see, newest first."""
    query = select(ProcessInstance).where(*f.clauses(session))
    visible = instance_visibility(who)
    if visible is not None:
        query = query.where(visible)
    return fetch_page(session, query, INSTANCE_SORTING.order(None), request)


def get_instance(session: Session, who: Principal, instance_id: str) -> tuple[ProcessInstance, list[HumanTask]]:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance '{instance_id}' does not exist")
    tasks = list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.created_at)
    ))
    copied = session.get(InstanceCc, (instance_id, who.username)) is not None
    require_instance_access(who, instance, tasks, copied)
    return instance, tasks


def started_instance(session: Session, who: Principal, instance: ProcessInstance) -> tuple[ProcessInstance,
                                                                                         list[HumanTask]]:
    """`get_instance` for the instance its start just created, without a query: all its tasks are new."""
    tasks = open_tasks_after_step(session, instance.id)
    if tasks is None:
        return get_instance(session, who, instance.id)
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
