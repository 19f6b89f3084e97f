"""Operating running instances and tasks: admins suspend, resume, retry, correct, migrate, reassign.

Each function runs inside the caller's write transaction and goes through the runner (the one write
path), so every change is audited. Bulk callers use one transaction per instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_role
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.forms.limits import MAX_DB_INTEGER, check_variables
from server.models import HumanTask, ProcessInstance, ProcessVersion
from server.services.processes import find_version


def suspend(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    runner.suspend(session, instance, who.username)
    return instance


def resume(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    runner.resume(session, instance, who.username)
    return instance


def retry(session: Session, runner: Runner, who: Principal, instance_id: str) -> ProcessInstance:
    require_role(who, "admin")
    instance = runner.lock_instance(session, instance_id)
    runner.retry(session, instance, who.username)
    return instance


def set_variables(session: Session, runner: Runner, who: Principal, instance_id: str,
                  variables: dict[str, Any]) -> ProcessInstance:
    require_role(who, "admin")
    if not isinstance(variables, dict) or not variables:
        raise BadRequest("send the variables to change as a non-empty JSON object", field="variables")
    check_variables(variables)
    instance = runner.lock_instance(session, instance_id)
    runner.set_variables(session, instance, variables, who.username)
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
    runner.migrate(session, instance, target, who.username)
    return instance


def reassign(session: Session, runner: Runner, who: Principal, task_id: str, assignee: str | None) -> HumanTask:
    require_role(who, "admin")
    task, instance = runner.lock_task(session, task_id)
    runner.reassign(session, instance, task, assignee or None, who.username)
    return task


def set_due(session: Session, runner: Runner, who: Principal, task_id: str, due_at: datetime | None) -> HumanTask:
    require_role(who, "admin")
    task, instance = runner.lock_task(session, task_id)
    runner.set_due(session, instance, task, due_at, who.username)
    return task
