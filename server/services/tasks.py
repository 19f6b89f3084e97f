"""Human tasks: the inbox queries and the claim / unclaim / complete actions."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, can_claim, require_task_access, task_visibility
from server.engine.expressions import ExpressionError
from server.engine.runner import Runner
from server.engine.templates import evaluate_template, has_expression
from server.errors import BadRequest, Conflict, EngineError, NotFound
from server.models import HumanTask, ProcessInstance, TaskCandidate
from server.services.audit import record
from server.services.processes import validate_form

SORTS = {"created": HumanTask.created_at, "due": HumanTask.due_at}


@dataclass
class TaskFilter:
    assignee: str | None = None
    candidate_group: str | None = None
    candidate_user: str | None = None
    process_key: str | None = None
    instance_id: str | None = None
    status: str | None = "open"
    sort: str = "created"
    descending: bool = False


def list_tasks(session: Session, who: Principal, f: TaskFilter, page: int, size: int) -> tuple[list[HumanTask], int]:
    query = select(HumanTask)
    if f.status:
        if f.status not in ("open", "completed", "cancelled"):
            raise BadRequest("status must be open, completed or cancelled", field="status")
        query = query.where(HumanTask.status == f.status)
    if f.assignee:
        query = query.where(HumanTask.assignee == (who.username if f.assignee == "me" else f.assignee))
    for kind, name in (("group", f.candidate_group), ("user", f.candidate_user)):
        if name:
            query = query.where(exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == kind,
                                               TaskCandidate.name == name))
    if f.process_key:
        query = query.where(HumanTask.process_key == f.process_key)
    if f.instance_id:
        query = query.where(HumanTask.instance_id == f.instance_id)
    visible = task_visibility(who)
    if visible is not None:
        query = query.where(visible)
    if f.sort not in SORTS:
        raise BadRequest("sort must be created or due", field="sort")
    column = SORTS[f.sort]
    order = column.desc() if f.descending else column.asc()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(order.nulls_last(), HumanTask.id).offset((page - 1) * size).limit(size))
    return list(rows), total


def get_task(session: Session, who: Principal, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task '{task_id}' does not exist")
    require_task_access(who, task, "view")
    return task


def task_element(task: HumanTask) -> dict[str, Any]:
    """The element's deploy-time metadata: form, assignment expressions, instructions.

    Instructions with `${...}` inside are shown evaluated over the instance's variables (checked at
    deploy); if a variable is missing now they are shown as written.
    """
    element = task.element
    text = element.get("instructions")
    if has_expression(text):
        with suppress(ExpressionError):
            element = {**element, "instructions": _as_text(evaluate_template(text, task.instance.variables or {}))}
    return element


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def task_form(task: HumanTask) -> dict[str, Any]:
    """The task's form with read-only fields showing the instance's current values, as Camunda does."""
    form = task_element(task).get("form") or {"type": "object", "properties": {}}
    variables = task.instance.variables
    properties = {
        name: {**prop, "default": variables[name]} if prop.get("readOnly") and name in variables else prop
        for name, prop in form.get("properties", {}).items()
    }
    return {**form, "properties": properties}


def _locked(session: Session, runner: Runner, who: Principal, task_id: str,
            action: str) -> tuple[HumanTask, ProcessInstance]:
    task, instance = runner.lock_task(session, task_id)
    require_task_access(who, task, "view")
    if task.status != "open":
        # Before the work check: the loser of a race is told why, not that it is forbidden.
        raise Conflict(f"task '{task.id}' is already {task.status}")
    require_task_access(who, task, action)
    return task, instance


def claim(session: Session, runner: Runner, who: Principal, task_id: str) -> HumanTask:
    task, instance = _locked(session, runner, who, task_id, "claim")
    runner.claim(session, instance, task, who.username, who.username)
    return task


def unclaim(session: Session, runner: Runner, who: Principal, task_id: str) -> HumanTask:
    task, instance = _locked(session, runner, who, task_id, "unclaim")
    runner.unclaim(session, instance, task, who.username)
    return task


def complete(session: Session, runner: Runner, who: Principal, task_id: str,
             variables: dict[str, Any], with_files: bool = False) -> HumanTask:
    """`with_files`: from the web form, whose file fields hold stored-file references (server/forms/files.py)."""
    task, instance = _locked(session, runner, who, task_id, "complete")
    form = task.element.get("form")
    clean = validate_form(form, variables, with_files)
    runner.complete_task(session, instance, task, clean, who.username)
    return task


def next_tasks(session: Session, who: Principal, instance_id: str) -> list[HumanTask]:
    """The instance's open tasks that `who` could take on now: where a client goes after completing one."""
    if session.get(ProcessInstance, instance_id).status != "running":
        return []
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                           .order_by(HumanTask.created_at))
    return [row for row in rows if can_claim(who, row)]


def record_failed_completion(session: Session, who: Principal, task_id: str, error: EngineError) -> None:
    """Evidence of a step the engine refused; written after the failed transaction rolled back."""
    task = session.get(HumanTask, task_id)
    if task is None:
        return
    record(session, "instance.step_failed", who.username, instance_id=task.instance_id, task_id=task_id,
           element_id=error.details.get("element"), data={"action": "complete", "message": error.message})
