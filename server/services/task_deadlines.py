"""Timeouts and reminders of approval steps (issue 14), on the job table.

A user task's properties remindEvery, escalateAfter and timeoutAfter + timeoutAction (read at deploy,
server/engine/elements.py `deadlines`) become `task_deadline` jobs when the task is created: an audit
subscriber adds them in the creating step's transaction, so a task and its deadlines exist together or
not at all. The job runs when due (the poller, the worker, leases: services/jobs.py) and does nothing if
the task is no longer open:
- remind: a reminder to the assignee or candidates (task.urged by system:deadline), then the next one;
- escalate: the task goes to its assignee's manager (task.escalated; without an assignee or a manager,
  the event says why and the task stays);
- timeout: the step's decision field is set to timeoutAction and the task completed by system:timeout, or,
  with timeoutAction "return", the step is sent back to the previous one (task.returned by system:timeout).
A task without a due date gets the earliest escalation or timeout as its due date, so the inbox and
the task page show the time left.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine.human_tasks import PARALLEL
from server.errors import BadRequest
from server.events import EventKind, JobStatus, TaskStatus
from server.models import HumanTask, Job, ProcessInstance, ProcessVersion, User
from server.services.cosigners import cancel_beside
from server.services.jobs import JobContext
from server.services.task_return import send_back

KIND = "task_deadline"
SYSTEM = "system:deadline"
TIMEOUT = "system:timeout"
RETURN = "return"  # timeoutAction: send the step back to the previous one instead of deciding it


def _task(session: Session, task_id: str | None) -> HumanTask | None:
    for obj in session.new:  # created in this step and not flushed yet (the runner does not autoflush)
        if isinstance(obj, HumanTask) and obj.id == task_id:
            return obj
    return session.get(HumanTask, task_id) if task_id else None


def _element(session: Session, task: HumanTask) -> dict[str, Any]:
    """The task's element without lazy loads: a just-started instance is not flushed yet either."""
    if task.version_id is not None:
        version = session.get(ProcessVersion, task.version_id)
    else:
        instance = next((o for o in session.new if isinstance(o, ProcessInstance) and o.id == task.instance_id),
                        None) or session.get(ProcessInstance, task.instance_id)
        version = instance.version if instance is not None else None
    return version.elements.get(task.element_id, {}) if version is not None else {}


def _job(task: HumanTask, action: str, seconds: int, now: Any) -> Job:
    return Job(instance_id=task.instance_id, kind=KIND, element_id=task.element_id, task_id=task.id,
               payload={"action": action, "every": seconds}, due_at=now + timedelta(seconds=seconds),
               status=JobStatus.PENDING, attempts=0, created_at=now)


def schedule(session: Session, events: list[Event]) -> None:
    """The audit subscriber: deadline jobs for each task created with deadlines on its element."""
    for event in events:
        if event.kind != EventKind.TASK_CREATED:
            continue
        task = _task(session, event.task_id)
        info = (_element(session, task).get("deadlines") or {}) if task is not None else {}
        if task is None or not info:
            continue
        now = utcnow()
        for action, name in (("remind", "remindEvery"), ("escalate", "escalateAfter"), ("timeout", "timeoutAfter")):
            if name in info:
                session.add(_job(task, action, info[name], now))
        ends = [info[name] for name in ("escalateAfter", "timeoutAfter") if name in info]
        if ends and task.due_at is None:
            task.due_at = now + timedelta(seconds=min(ends))


def run_deadline(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        task, instance = ctx.runner.lock_task(session, ctx.task_id or "")
        if not ctx.finish(session) or task.status != TaskStatus.OPEN or instance.status != "running":
            return
        action = ctx.payload.get("action")
        if action == "remind":
            to = [task.assignee] if task.assignee else task.candidate_users
            _emit(ctx, session, task, EventKind.TASK_URGED, name=task.name, to=to,
                  groups=[] if task.assignee else task.candidate_groups, automatic=True)
            session.add(_job(task, "remind", int(ctx.payload.get("every") or 86400), utcnow()))
        elif action == "escalate":
            _escalate(ctx, session, task)
        elif action == "timeout":
            _time_out(ctx, session, instance, task)


def _time_out(ctx: JobContext, session: Session, instance: ProcessInstance, task: HumanTask) -> None:
    """timeoutAction: a decision option completes the step with it; "return" sends it back to the previous
    step (to whoever did it), as 退回 does. Signers beside the assignee are not waited for any more."""
    info = task.element.get("deadlines") or {}
    if task.signs_for is not None:
        return  # a signer's part: the step's own deadline decides for it
    cancel_beside(session, ctx.runner, instance, task, TIMEOUT, "the step timed out")
    if info["timeoutAction"] == RETURN:
        try:
            send_back(session, ctx.runner, instance, task, "previous", TIMEOUT, "timed out: sent back automatically")
        except BadRequest as exc:  # nothing earlier to go back to: said in the history, the task stays
            _emit(ctx, session, task, EventKind.TASK_ESCALATED, name=task.name, assignee=None, reason=exc.message)
        return
    ctx.runner.complete_task(session, instance, task, {info["decisionField"]: info["timeoutAction"]}, TIMEOUT)


def _escalate(ctx: JobContext, session: Session, task: HumanTask) -> None:
    holder = session.scalar(select(User).where(User.username == task.assignee)) if task.assignee else None
    manager = session.get(User, holder.manager_id) if holder is not None and holder.manager_id else None
    if manager is None or not manager.active:
        reason = "the task has no assignee" if holder is None else f"'{holder.username}' has no active manager"
        _emit(ctx, session, task, EventKind.TASK_ESCALATED, name=task.name, assignee=None, reason=reason)
        return
    previous, task.assignee = task.assignee, manager.username
    if task.delegation != PARALLEL:  # signers beside the assignee keep their parts of the step
        task.owner = task.delegation = task.signers = None
    _emit(ctx, session, task, EventKind.TASK_ESCALATED, name=task.name, assignee=manager.username,
          previousAssignee=previous)


def _emit(ctx: JobContext, session: Session, task: HumanTask, kind: str, **data: Any) -> None:
    ctx.runner.emit(session, [Event(kind=kind, actor=SYSTEM, instance_id=task.instance_id, task_id=task.id,
                                    element_id=task.element_id, data=data)])
