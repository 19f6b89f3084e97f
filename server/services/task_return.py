"""Actions that move the token (issue 14): return (退回), withdraw (撤回), and the admins' instance
modification they are built on (server/engine/modification.py).

A returned or withdrawn step goes back to the person who completed it before, so "return to the
previous step" reaches the same approver again rather than whoever the assignment rule finds now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.engine.branches import reached_back
from server.engine.instance_operations import instance_event
from server.engine.modification import modify
from server.engine.runner import Runner
from server.errors import BadRequest, Conflict, Forbidden
from server.events import EventKind, TaskStatus
from server.models import HumanTask, ProcessInstance
from server.services.task_actions import comment_text, not_delegated, open_task, require_allowed


def _completed(session: Session, instance: ProcessInstance) -> list[HumanTask]:
    """The instance's completed user steps, latest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.COMPLETED)
        .order_by(HumanTask.completed_at.desc(), HumanTask.id)))


def _target(session: Session, instance: ProcessInstance, task: HumanTask, to: Any) -> HumanTask:
    """The earlier completed step `to` names: "previous", "initiator" or an element id."""
    if not isinstance(to, str) or not to.strip():
        raise BadRequest('to must be "previous", "initiator" or the id of an earlier user step', field="to")
    earlier = [t for t in _completed(session, instance) if t.element_id != task.element_id
               and t.version_id == task.version_id]
    if to == "previous":
        # The latest step the token can go back to: not one of a parallel branch beside this one.
        elements = (task.called_version if task.version_id else instance.version).elements
        found = [t for t in earlier if reached_back(elements, task.element_id, t.element_id)][:1] or earlier[:1]
    elif to == "initiator":
        found = [t for t in reversed(earlier) if t.completed_by == instance.started_by][:1]
    else:
        found = [t for t in earlier if t.element_id == to.strip()][:1]
    if not found:
        what = {"previous": "no earlier user step", "initiator": f"no step completed by its initiator "
                f"'{instance.started_by}'"}.get(to, f"no completed user step '{to}'")
        raise BadRequest(f"process instance '{instance.id}' has {what} to return task '{task.element_id}' to",
                         field="to")
    return found[0]


def _reassign_new(session: Session, instance: ProcessInstance, element_id: str, assignee: str | None) -> None:
    """Give the task the move just created to whoever did that step before."""
    if not assignee:
        return
    for obj in list(session.new):
        if isinstance(obj, HumanTask) and obj.instance_id == instance.id and obj.element_id == element_id \
                and obj.status == TaskStatus.OPEN:
            obj.assignee = assignee


def return_task(session: Session, runner: Runner, who: Principal, task_id: str, to: Any,
                comment: Any = None) -> HumanTask:
    """退回: cancel this step and start again before an earlier one, which goes to who completed it."""
    note = comment_text(comment)
    task, instance = open_task(session, runner, who, task_id, "return", "complete")
    not_delegated(task, "returned")
    if note is None:
        raise BadRequest("a return needs a comment saying what to correct", field="comment")
    send_back(session, runner, instance, task, to, who.username, note)
    return task


def send_back(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask, to: Any, actor: str,
              note: str) -> None:
    """Move the token from `task` back to the earlier step `to` names, for whoever completed it (the caller has
    checked who may; a timeout's automatic return comes here too)."""
    target = _target(session, instance, task, to)
    modify(runner, session, instance, [task.element_id], target.element_id, actor,
           kind=EventKind.TASK_RETURNED, taskId=task.id, to=target.element_id, assignee=target.completed_by,
           comment=note)
    _reassign_new(session, instance, target.element_id, target.completed_by)


def withdraw(session: Session, runner: Runner, who: Principal, instance_id: str,
             comment: Any = None) -> tuple[str, ProcessInstance]:
    """撤回. The initiator takes back a request nobody else has acted on (it is cancelled); an approver takes
    back their own approval while the next step is untouched (their step opens again). Returns which."""
    note = comment_text(comment)
    instance = runner.lock_instance(session, instance_id)
    if instance.status != "running":
        raise Conflict(f"process instance '{instance.id}' is {instance.status}; it cannot be withdrawn")
    done = _completed(session, instance)
    open_tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                              HumanTask.status == TaskStatus.OPEN)))
    for task in open_tasks:
        require_allowed(session, instance, task, "withdraw")
        if task.delegation or (task.data or {}).get("signed"):
            raise Conflict(f"the next step '{task.element_id}' was already acted on; it cannot be withdrawn")
    if instance.started_by == who.username and all(t.completed_by == who.username for t in done):
        runner.cancel(session, instance, who.username, reason="withdrawn by the initiator")
        runner.emit(session, [instance_event(instance, who.username, EventKind.INSTANCE_WITHDRAWN, comment=note,
                                             outcome="cancelled")])
        return "cancelled", instance
    if not done or done[0].completed_by != who.username:
        if instance.started_by != who.username and not any(t.completed_by == who.username for t in done):
            raise Forbidden(f"you did not start or act on process instance '{instance.id}'")
        raise Conflict(f"the next step of process instance '{instance.id}' was already acted on; "
                       "it cannot be withdrawn")
    if len(open_tasks) != 1:
        raise Conflict(f"process instance '{instance.id}' has {len(open_tasks)} open steps; only an instance "
                       "waiting on one step can be withdrawn to yours")
    last = done[0]
    modify(runner, session, instance, [open_tasks[0].element_id], last.element_id, who.username,
           kind=EventKind.INSTANCE_WITHDRAWN, to=last.element_id, assignee=who.username, comment=note)
    _reassign_new(session, instance, last.element_id, who.username)
    return "reopened", instance


def modify_instance(session: Session, runner: Runner, who: Principal, instance_id: str, cancel: Any,
                    start_before: Any) -> ProcessInstance:
    """Admins move a stuck token: cancel the active element, start before another one."""
    if not who.has("admin"):
        raise Forbidden("modifying a process instance needs the admin role")
    if not isinstance(cancel, list) or not all(isinstance(c, str) for c in cancel):
        raise BadRequest("cancel must be a list of element ids", field="cancel")
    if not isinstance(start_before, list) or len(start_before) != 1 or not isinstance(start_before[0], str):
        raise BadRequest("startBefore must be a list of one element id", field="startBefore")
    instance = runner.lock_instance(session, instance_id)
    modify(runner, session, instance, cancel, start_before[0], who.username)
    return instance

