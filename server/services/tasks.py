"""Human tasks: the inbox queries and the claim / unclaim / complete actions.

Claiming and unclaiming change only BOMS's own rows (the engine never hears of assignees), so they live
here and publish their event through the runner's `emit`; completing goes through the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, object_session, selectinload

from server.audit import Event, publish
from server.auth.permissions import Principal, can_claim, can_work_on, require_task_access, task_visibility
from server.engine.human_tasks import open_tasks_after_step
from server.engine.runner import Runner, require_open
from server.engine.templates import evaluate_template, has_expression
from server.errors import BadRequest, Conflict, EngineError, NotFound
from server.events import TaskStatus
from server.expressions import ExpressionError
from server.forms.limits import check_variables
from server.forms.validation import validate_form
from server.models import HumanTask, InstanceCc, ProcessInstance, TaskCandidate
from server.queries import Page, PageRequest, Sorting, fetch_page
from server.queries.plans import serial_plans
from server.services import record_tasks
from server.services.cosigners import complete_countersigned
from server.services.field_access import hidden_fields, step_form, without
from server.services.instance_page import history_events
from server.services.signers import pass_to_next_signer

TASK_STATUSES = ("open", "completed", "cancelled")
TASK_VIEWS = ("todo", "done", "initiated", "delegated", "cc")
# The id breaks ties (tasks created in one step share their created_at); tasks without a due date sort last.
TASK_SORTING = Sorting({"created": HumanTask.created_at, "due": HumanTask.due_at}, HumanTask.id, default="created")


@dataclass
class TaskFilter:
    assignee: str | None = None
    candidate_group: str | None = None
    candidate_user: str | None = None
    process_key: str | None = None
    instance_id: str | None = None
    view: str | None = None
    status: str | None = "open"
    sort: str = "created"
    descending: bool = False

    def clauses(self, who: Principal) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.status:
            if self.status not in TASK_STATUSES:
                raise BadRequest("status must be open, completed or cancelled", field="status")
            clauses.append(HumanTask.status == self.status)
        if self.assignee:
            clauses.append(HumanTask.assignee == (who.username if self.assignee == "me" else self.assignee))
        for kind, name in self._candidates():
            clauses.append(exists().where(TaskCandidate.task_id == HumanTask.id, *self._candidate_rows(kind, name)))
        if self.process_key:
            clauses.append(HumanTask.process_key == self.process_key)
        if self.instance_id:
            clauses.append(HumanTask.instance_id == self.instance_id)
        return clauses + self._view(who)

    def _candidates(self) -> list[tuple[str, str]]:
        return [(kind, name) for kind, name in (("group", self.candidate_group), ("user", self.candidate_user))
                if name]

    def _candidate_rows(self, kind: str, name: str) -> list[ColumnElement[bool]]:
        # Open tasks: the partial index of open candidate rows, not every task the group ever had.
        rows = [TaskCandidate.kind == kind, TaskCandidate.name == name]
        return rows + [TaskCandidate.state.is_not(None)] if self.status == TaskStatus.OPEN else rows

    def implies_visibility(self, who: Principal) -> bool:
        """Does the filter itself only select tasks `who` may see (task_visibility's own branches)?"""
        if self.view == "cc":
            return False
        if self.assignee and (who.username if self.assignee == "me" else self.assignee) == who.username:
            return True
        return any((kind == "group" and name in who.groups) or (kind == "user" and name == who.username)
                   for kind, name in self._candidates())

    def candidate_count(self, session: Session) -> Callable[[], int] | None:
        """Open tasks of one candidate, counted from the open candidate index alone (its rows say the task
        is open): without probing each task row. None when other filters need the task rows."""
        candidates = self._candidates()
        if (self.status != TaskStatus.OPEN or len(candidates) != 1 or self.assignee or self.process_key
                or self.instance_id or self.view):
            return None
        statement = select(func.count()).select_from(TaskCandidate).where(*self._candidate_rows(*candidates[0]))
        return lambda: session.scalar(statement) or 0

    def _view(self, who: Principal) -> list[ColumnElement[bool]]:
        if self.view == "done":
            return [HumanTask.completed_by == who.username]
        if self.view == "initiated":
            return [HumanTask.instance_id.in_(select(ProcessInstance.id)
                                              .where(ProcessInstance.started_by == who.username))]
        if self.view == "delegated":
            return [HumanTask.owner == who.username]
        if self.view == "cc":
            return [HumanTask.instance_id.in_(copied_instances(who))]
        return []


def list_tasks(session: Session, who: Principal, f: TaskFilter, request: PageRequest) -> Page[HumanTask]:
    serial_plans(session)
    query = select(HumanTask).where(*f.clauses(who))
    implied = f.implies_visibility(who)
    visible = None if implied else task_visibility(who)
    if visible is not None:
        # Someone copied on a request reads its steps (not their forms: GET /tasks/{id} stays theirs).
        query = query.where(or_(visible, HumanTask.instance_id.in_(copied_instances(who))) if f.view == "cc"
                            else visible)
    total = f.candidate_count(session) if implied or visible is None else None
    return fetch_page(session, query, TASK_SORTING.order(f.sort, f.descending), request, total=total)


def copied_instances(who: Principal) -> Select[Any]:
    return select(InstanceCc.instance_id).where(InstanceCc.username == who.username)


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


def task_form(task: HumanTask, who: Principal) -> dict[str, Any]:
    """The task's form with read-only fields showing the instance's current values, as Camunda does;
    without the fields this step hides (field_access.py). A record form is what ``who`` may write."""
    if record_tasks.record_type_of(task):
        return step_form(task, record_tasks.record_form(object_session(task), who, task)) or {}
    form = step_form(task, task_element(task).get("form")) or {"type": "object", "properties": {}}
    variables = task.instance.variables
    properties = {
        name: {**prop, "default": variables[name]} if prop.get("readOnly") and name in variables else prop
        for name, prop in form.get("properties", {}).items()
    }
    return {**form, "properties": properties}


@dataclass
class TaskPage:
    """What the staff task page shows, and which of its buttons this user may press."""

    task: HumanTask
    element: dict[str, Any]
    form: dict[str, Any]
    events: list[dict[str, Any]]
    variables: dict[str, Any]  # the instance's, without what this step hides
    may_work: bool
    may_claim: bool
    may_unclaim: bool


def task_page(session: Session, who: Principal, task_id: str) -> TaskPage:
    task = get_task(session, who, task_id)
    is_open = task.status == "open"
    hidden = hidden_fields(task)
    return TaskPage(
        task=task, element=task_element(task), form=task_form(task, who),
        events=history_events(session, task.instance, hidden),
        variables=without(task.instance.variables, hidden) or {},
        may_work=is_open and can_work_on(who, task),
        may_claim=is_open and not task.assignee and can_claim(who, task),
        may_unclaim=is_open and task.assignee == who.username,
    )


def _locked(session: Session, runner: Runner, who: Principal, task_id: str,
            action: str) -> tuple[HumanTask, ProcessInstance]:
    task, instance = runner.lock_task(session, task_id)
    require_task_access(who, task, "view")
    if task.status != "open":
        # Before the work check: the loser of a race is told why, not that it is forbidden.
        raise Conflict(f"task '{task.id}' is already {task.status}")
    require_task_access(who, task, action)
    return task, instance


def task_event(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask, actor: str,
               kind: str, **data: Any) -> None:
    """Publish an event about `task` in this transaction (the audit log, then the listeners)."""
    runner.emit(session, [Event(kind=kind, actor=actor, instance_id=instance.id, task_id=task.id,
                                element_id=task.element_id, data=data)])


def claim(session: Session, runner: Runner, who: Principal, task_id: str) -> HumanTask:
    task, instance = _locked(session, runner, who, task_id, "claim")
    require_open(instance, task)
    if task.assignee == who.username:
        return task  # claiming what you hold changes nothing, so nothing is recorded
    if task.assignee:
        raise Conflict(f"task '{task.id}' is already claimed by {task.assignee}")
    task.assignee = who.username
    task_event(session, runner, instance, task, who.username, "task.claimed", assignee=who.username)
    return task


def unclaim(session: Session, runner: Runner, who: Principal, task_id: str) -> HumanTask:
    task, instance = _locked(session, runner, who, task_id, "unclaim")
    require_open(instance, task)
    previous, task.assignee = task.assignee, None
    task_event(session, runner, instance, task, who.username, "task.unclaimed", previousAssignee=previous)
    return task


def complete(session: Session, runner: Runner, who: Principal, task_id: str,
             variables: dict[str, Any], with_files: bool = False) -> HumanTask:
    """`with_files`: from the web form, whose file fields hold stored-file references (server/forms/files.py)."""
    check_variables(variables)
    task, instance = _locked(session, runner, who, task_id, "complete")
    if record_tasks.record_type_of(task):  # the records service validates and writes the record
        require_open(instance, task)
        clean = record_tasks.submit(session, who, task, variables)
    else:
        form = step_form(task, task.element.get("form"))
        clean = validate_form(form, variables, with_files, current=instance.variables or {})
        require_open(instance, task)
    # Signers added after the assignee (加签) act on the same step first; a delegated task is resolved first;
    # with signers beside the assignee, the engine hears of the step once all of them acted.
    if complete_countersigned(session, runner, instance, task, who.username, clean):
        return task
    if pass_to_next_signer(session, runner, instance, task, who.username, clean):
        return task
    runner.complete_task(session, instance, task, clean, who.username)
    return task


# nextTasks lists where a client can go on: a few of them, not all thousand open siblings of a
# multi-instance (the response of a completion must not grow with them).
NEXT_TASKS_LIMIT = 20
NEXT_TASKS_SCANNED = 200  # open rows looked at, oldest first (index ix_human_task_instance_status)


def next_tasks(session: Session, who: Principal, instance_id: str) -> list[HumanTask]:
    """Up to NEXT_TASKS_LIMIT of the instance's open tasks that `who` could take on now (oldest first):
    where a client goes after completing one."""
    if session.get(ProcessInstance, instance_id).status != "running":
        return []
    # Right after a step (the usual caller) its open rows are at hand; otherwise ask the database.
    rows = open_tasks_after_step(session, instance_id)
    if rows is None:
        rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open")
                                    .order_by(HumanTask.created_at, HumanTask.id).limit(NEXT_TASKS_SCANNED)
                                    .options(selectinload(HumanTask.candidates))))
    # A step whose assignee has signed while signers beside them have not is not theirs to take on now.
    found = []
    for row in rows:
        if can_claim(who, row) and not (row.data or {}).get("held"):
            found.append(row)
            if len(found) == NEXT_TASKS_LIMIT:
                break
    return found


def record_failed_completion(session: Session, who: Principal, task_id: str, error: EngineError) -> None:
    """Evidence of a step the engine refused; written after the failed transaction rolled back."""
    task = session.get(HumanTask, task_id)
    if task is None:
        return
    publish(session, Event("instance.step_failed", who.username, instance_id=task.instance_id, task_id=task_id,
                           element_id=error.details.get("element"),
                           data={"action": "complete", "message": error.message}))
