"""Signers added beside the assignee (加签 "parallel"): a countersign added at run time.

Each added signer gets a task row of their own (`signs_for` names the step's row, the one the engine
knows), in their inbox like any task. Everyone must act, in any order: the step's row holds the
assignee's submission until the last one acts, and only then does the engine hear of the step, with the
assignee's variables. The first rejection (a decision field whose value rejects: "reject", "no", false)
ends it at once with the rejecter's variables, and the rows still open are cancelled — as a countersign
where any reject ends it. Every decision is kept in the step row's data (`signed`) and in the events.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine.human_tasks import PARALLEL
from server.engine.multi_instance import decision
from server.engine.runner import Runner
from server.errors import Conflict
from server.events import EventKind, TaskStatus
from server.forms.render import fields
from server.models import HumanTask, ProcessInstance, TaskCandidate


def _emit(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask, actor: str, kind: str,
          **data: Any) -> None:
    runner.emit(session, [Event(kind=kind, actor=actor, instance_id=instance.id, task_id=task.id,
                                element_id=task.element_id, data=data)])


def add_beside(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask, actor: str,
               names: list[str]) -> None:
    """Give each signer a row of their own for the step, beside its assignee."""
    if task.delegation not in (None, PARALLEL):
        raise Conflict(f"task '{task.id}' already has signers {task.delegation} its assignee; signers beside "
                       "them cannot be added too", field="mode")
    now = utcnow()
    for name in names:
        row = HumanTask(id=str(uuid.uuid4()), instance_id=instance.id, process_key=task.process_key,
                        business_key=task.business_key, element_id=task.element_id, name=task.name,
                        lane=task.lane, assignee=name, status=TaskStatus.OPEN, created_at=now, due_at=task.due_at,
                        version_id=task.version_id, signs_for=task.id)
        row.candidates = [TaskCandidate(kind="user", name=name)]
        session.add(row)
        _emit(session, runner, instance, row, actor, EventKind.TASK_CREATED, name=row.name, assignee=name,
              candidateGroups=[], candidateUsers=[name], signsFor=task.id,
              due=row.due_at.isoformat() if row.due_at else None)
    task.delegation = PARALLEL


def open_cosigners(session: Session, step_row: HumanTask) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.signs_for == step_row.id,
                                                        HumanTask.status == TaskStatus.OPEN)
                                .order_by(HumanTask.created_at, HumanTask.id)))


def cancel_beside(session: Session, runner: Runner, instance: ProcessInstance, step_row: HumanTask, actor: str,
                  reason: str) -> None:
    """End the signers' parts still open (the step is decided without them)."""
    for row in open_cosigners(session, step_row):
        row.status, row.completed_at = TaskStatus.CANCELLED, utcnow()
        _emit(session, runner, instance, row, actor, EventKind.TASK_CANCELLED, name=row.name, reason=reason)


def waiting_for(session: Session, task: HumanTask) -> list[str]:
    """Who the step of `task` still waits for after `task` was signed (empty: not a countersigned step, or
    decided)."""
    step_row = task if task.signs_for is None else session.get(HumanTask, task.signs_for)
    if step_row is None or step_row.status != TaskStatus.OPEN or step_row.delegation != PARALLEL:
        return []
    held = (step_row.data or {}).get("held")
    waiting = [] if held is not None else [step_row.assignee or ""]
    return waiting + [row.assignee or "" for row in open_cosigners(session, step_row)]


def _rejects(task: HumanTask, variables: dict[str, Any]) -> bool:
    form = task.element.get("form") or {}
    return any(decision(variables.get(f.name)) is False for f in fields(form) if f.decision)


def complete_countersigned(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask,
                           actor: str, variables: dict[str, Any]) -> bool:
    """A completion of a step with signers beside its assignee, or of such a signer's row: recorded here;
    the engine completes the step once everyone has acted, or at the first rejection. False: neither."""
    if task.signs_for is None and task.delegation != PARALLEL:
        return False
    step_row = task if task.signs_for is None else session.get(HumanTask, task.signs_for)
    if step_row is None or step_row.status != TaskStatus.OPEN:
        raise Conflict(f"the step task '{task.signs_for}' is no longer open", field="action")
    held = (step_row.data or {}).get("held")
    if task is step_row and held is not None:
        raise Conflict(f"you have signed task '{task.id}'; it waits for "
                       f"{', '.join(r.assignee or '' for r in open_cosigners(session, step_row))}", field="action")
    now = utcnow()
    signed = [*((step_row.data or {}).get("signed") or []), {"user": actor, "variables": variables,
                                                             "at": now.isoformat()}]
    if task is step_row:
        held = {"user": actor, "variables": variables}
    else:
        task.status, task.completed_at, task.completed_by, task.data = TaskStatus.COMPLETED, now, actor, variables
        _emit(session, runner, instance, task, actor, EventKind.TASK_COMPLETED, name=task.name, variables=variables,
              signsFor=step_row.id)
    step_row.data = {"signed": signed, **({"held": held} if held is not None else {})}
    waiting = [r for r in open_cosigners(session, step_row) if r is not task]
    rejected = _rejects(step_row, variables)
    if rejected or (held is not None and not waiting):
        if rejected:
            cancel_beside(session, runner, instance, step_row, actor, "rejected by " + actor)
        final = variables if rejected else held["variables"]
        runner.complete_task(session, instance, step_row, final, actor)
        # Whose submission moved the process on: a return to this step goes back to them.
        step_row.completed_by = actor if rejected else held["user"]
        return True
    if task is step_row:
        _emit(session, runner, instance, step_row, actor, EventKind.TASK_RESOLVED, signed=True, variables=variables,
              waitingFor=[r.assignee for r in waiting])
    return True
