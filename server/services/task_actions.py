"""Approval actions on an open task (issue 14): transfer (转交) so far.

Each action locks the task, checks that the caller may work on it and that the task allows the
action (a `camunda:property` on the user task; allowed unless set to "false"), changes only BOMS's
task row, and publishes one audited event with who, when and the comment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_task_access
from server.engine.runner import Runner
from server.errors import BadRequest, Conflict
from server.events import EventKind
from server.models import HumanTask, ProcessInstance, ProcessVersion, User
from server.services.tasks import task_event

MAX_COMMENT = 2000


def _element(session: Session, instance: ProcessInstance, task: HumanTask) -> dict[str, Any]:
    version = session.get(ProcessVersion, task.version_id) if task.version_id else instance.version
    return (version.elements if version is not None else {}).get(task.element_id, {})


def _comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise BadRequest("comment must be text", field="comment")
    if len(comment) > MAX_COMMENT:
        raise BadRequest(f"comment is longer than {MAX_COMMENT} characters", field="comment")
    return comment.strip() or None


def _open_task(session: Session, runner: Runner, who: Principal, task_id: str,
               action: str) -> tuple[HumanTask, ProcessInstance]:
    task, instance = runner.lock_task(session, task_id)
    require_task_access(who, task, "view")
    if task.status != "open" or instance.status != "running":
        raise Conflict(f"task '{task.id}' is {task.status} and its instance {instance.status}; "
                       f"it cannot be {action}")
    require_task_access(who, task, action)
    if _element(session, instance, task).get("actions", {}).get(action) is False:
        raise Conflict(f"task '{task.element_id}' does not allow {action}", field="action")
    return task, instance


def transfer(session: Session, runner: Runner, who: Principal, task_id: str, user: Any,
             comment: Any = None) -> HumanTask:
    """Hand the task to another active user, who becomes its assignee."""
    if not isinstance(user, str) or not user.strip():
        raise BadRequest("transfer needs the user to hand the task to", field="user")
    note = _comment(comment)
    task, instance = _open_task(session, runner, who, task_id, "transfer")
    target = session.scalar(select(User).where(User.username == user.strip()))
    if target is None or not target.active:
        raise BadRequest(f"user '{user}' does not exist or is inactive", field="user")
    if target.username == who.username:
        raise BadRequest("you cannot transfer a task to yourself", field="user")
    if target.username == task.assignee:
        raise BadRequest(f"the task is already assigned to '{target.username}'", field="user")
    previous, task.assignee = task.assignee, target.username
    task_event(session, runner, instance, task, who.username, EventKind.TASK_TRANSFERRED, assignee=target.username,
               previousAssignee=previous, comment=note)
    return task
