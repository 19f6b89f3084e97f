"""Operating running instances and tasks: admins suspend, resume, retry, correct, migrate, reassign.

Each function runs inside the caller's write transaction: instance operations go through the engine's
(server/engine/instance_operations.py, on the runner's building blocks); reassigning and due dates change only
BOMS's task rows and publish their event here. Every change is audited. Bulk callers use one
transaction per instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_role
from server.engine import instance_operations as engine_ops
from server.engine.runner import Runner
from server.errors import BadRequest, Conflict, NotFound
from server.events import EventKind, TaskStatus
from server.forms.limits import MAX_DB_INTEGER, check_variables
from server.models import HumanTask, ProcessInstance, ProcessVersion
from server.services.processes import find_version
from server.services.tasks import task_event


def suspend(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    engine_ops.suspend(runner, session, instance, who.username)
    return instance


def resume(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    engine_ops.resume(runner, session, instance, who.username)
    return instance


def retry(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    engine_ops.retry(runner, session, instance, who.username)
    return instance


def set_variables(session: Session, runner: Runner, who: Principal, instance_id: str,
                  variables: dict[str, Any]) -> ProcessInstance:
    require_role(who, "admin")
    if not isinstance(variables, dict) or not variables:
        raise BadRequest("send the variables to change as a non-empty JSON object", field="variables")
    check_variables(variables)
    instance = runner.lock_instance(session, instance_id)
    engine_ops.set_variables(runner, session, instance, variables, who.username)
    return instance


def migrate(session: Session, runner: Runner, who: Principal, instance_id: str,
            target_version_id: int | None = None) -> ProcessInstance:
    """Move an instance to `target_version_id`, or to the latest version of its process."""
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    if target_version_id is None:
        target = find_version(session, instance.process_key)
    else:
        target = session.get(ProcessVersion, target_version_id) if 0 < target_version_id <= MAX_DB_INTEGER else None
        if target is None:
            raise NotFound(f"process version {target_version_id} does not exist")
    engine_ops.migrate(runner, session, instance, target, who.username)
    return instance


def reassign(session: Session, runner: Runner, who: Principal, task_id: str, assignee: str | None) -> HumanTask:
    require_role(who, "admin")
    task, instance = runner.lock_task(session, task_id)
    _require_open(task)
    assignee = assignee or None
    previous, task.assignee = task.assignee, assignee
    task_event(session, runner, instance, task, who.username, EventKind.TASK_REASSIGNED, assignee=assignee,
               previousAssignee=previous)
    return task


def set_due(session: Session, runner: Runner, who: Principal, task_id: str, due_at: datetime | None) -> HumanTask:
    require_role(who, "admin")
    task, instance = runner.lock_task(session, task_id)
    _require_open(task)
    previous, task.due_at = task.due_at, due_at
    task_event(session, runner, instance, task, who.username, EventKind.TASK_DUE_CHANGED,
               due=due_at.isoformat() if due_at else None, previousDue=previous.isoformat() if previous else None)
    return task


def _require_open(task: HumanTask) -> None:
    # Unlike claiming, an admin may reassign a task of a suspended instance or one in error.
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task '{task.id}' is already {task.status}")
