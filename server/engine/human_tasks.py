"""The human_task rows a step writes: created for READY user tasks, cancelled when the engine drops them.

A step reads the instance's open rows as (id, status) pairs, not as objects: a parallel multi-instance
with a thousand open siblings must not build a thousand ORM rows per completion. Only the rows it
changes (cancels) are loaded. What the step leaves open is remembered for the response (openTasks,
nextTasks) when every such row is at hand already.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from server.db import utcnow
from server.engine import directory, juel_context
from server.engine.assignment import AssignmentError, assign
from server.engine.reach import ensure_reachable
from server.engine.step import Step
from server.engine.task_cc import cc_recipients, copy
from server.errors import EngineError
from server.events import EventKind, InstanceStatus, TaskStatus
from server.models import HumanTask, TaskCandidate
from server.models.task import ANYONE_KIND, ANYONE_NAME

PARALLEL = "parallel"  # HumanTask.delegation of a step whose assignee has signers beside them


def sync_human_tasks(step: Step, ready: list[Any], touched: list[Any]) -> None:
    """`touched`: the tasks whose state this step changed (projection.py)."""
    if not step.new and _only_touched(step):
        _sync_touched(step, ready, touched)
        return
    ready_ids = [str(task.id) for task in ready]
    # One query for the open rows and any row a READY task has already (completed by a person, then the
    # engine failed: an incident; or reset by an operator). A new instance has no rows at all.
    known = {} if step.new else task_statuses(step, ready_ids)
    now = utcnow()
    created = []
    for task in ready:
        if str(task.id) not in known:
            row = _create_human_task(step, task, now)
            if row is not None:
                created.append(row)
    keep = set(ready_ids)
    gone = [row_id for row_id, status in known.items() if status == TaskStatus.OPEN and row_id not in keep]
    if gone:
        _cancel(step, list(step.session.scalars(select(HumanTask).where(HumanTask.id.in_(gone))
                                               .options(lazyload(HumanTask.candidates)))))
    kept = [_in_session(step.session, row_id) for row_id, status in known.items()
            if status == TaskStatus.OPEN and row_id in keep]
    if all(row is not None for row in kept):
        remember_open_tasks(step.session, step.instance.id, [*created, *kept])
    else:
        forget_open_tasks(step.session, step.instance.id)


def _only_touched(step: Step) -> bool:
    """Whether only the tasks whose state changed in this step can need a row created or cancelled.

    True for a step that ran the engine on a healthy instance: a task that stays READY kept the row
    the step that made it READY wrote. Not after an incident (a READY task may lack its row), an
    operator's change (modification, migration, variables) or a sub-process that went away with its tasks.
    """
    instance = step.instance
    return (step.touched_only and instance.status == InstanceStatus.RUNNING and not instance.error
            and step.subprocesses <= set(step.workflow.subprocesses))


def _sync_touched(step: Step, ready: list[Any], changed: list[Any]) -> None:
    touched = {str(task.id): task for task in changed}
    now = utcnow()
    # Only user tasks have rows, and only those the engine had reached before this step (Step.reached).
    # A row this session holds (the completed task's, locked with its instance) is read from memory.
    known = {}
    lookup = []
    for task_id, task in touched.items():
        if not task.task_spec.manual:
            continue
        held = _in_session(step.session, task_id)
        if held is not None and held.instance_id == step.instance.id and held.signs_for is None:
            known[task_id] = held.status
        elif task.id in step.reached:
            lookup.append(task_id)
    if lookup:
        found = step.session.execute(select(HumanTask.id, HumanTask.status).where(
            HumanTask.instance_id == step.instance.id, HumanTask.id.in_(lookup), HumanTask.signs_for.is_(None)))
        known.update({row_id: status for row_id, status in found})
    created = []
    for task_id, task in touched.items():
        if task_id not in known and task.state == TaskState.READY and task.task_spec.manual:
            row = _create_human_task(step, task, now)
            if row is not None:
                created.append(row)
    ready_ids = {task_id for task_id, task in touched.items()
                 if task.state == TaskState.READY and task.task_spec.manual}
    gone = [row_id for row_id, status in known.items() if status == TaskStatus.OPEN and row_id not in ready_ids]
    if gone:
        _cancel(step, list(step.session.scalars(select(HumanTask).where(HumanTask.id.in_(gone))
                                               .options(lazyload(HumanTask.candidates)))))
    # Every open row is at hand when every READY task is one this step touched (no sibling left waiting).
    kept = [_in_session(step.session, row_id) for row_id, status in known.items()
            if status == TaskStatus.OPEN and row_id in ready_ids]
    if all(task.last_state_change >= step.started for task in ready) and all(row is not None for row in kept):
        remember_open_tasks(step.session, step.instance.id, [*created, *kept])
    else:
        forget_open_tasks(step.session, step.instance.id)


def task_statuses(step: Step, also: list[str]) -> dict[str, str]:
    """id -> status of the instance's open rows and of the rows of the task ids in `also`.

    The session does not autoflush here, so a row it holds counts with its in-memory status.
    """
    wanted = HumanTask.status == TaskStatus.OPEN
    if also:
        wanted = or_(wanted, HumanTask.id.in_(also))
    # Rows of signers added beside an assignee (signs_for) are BOMS's, not the engine's: _cancel ends them.
    found = step.session.execute(select(HumanTask.id, HumanTask.status)
                                 .where(HumanTask.instance_id == step.instance.id, wanted,
                                        HumanTask.signs_for.is_(None)))
    statuses = {}
    for row_id, status in found:
        held = _in_session(step.session, row_id)
        statuses[row_id] = held.status if held is not None else status
    return statuses


def _in_session(session: Session, row_id: str) -> HumanTask | None:
    # The identity key by hand: identity_key() costs more than the lookup, once per open sibling.
    held = session.identity_map.get((HumanTask, (row_id,), None))
    return held if isinstance(held, HumanTask) else None


def _element_version(step: Step, task: Any) -> Any:
    """The called process version `task` runs in, or None for the instance's own version."""
    return getattr(step.workflow.subprocess_specs, "versions", {}).get(task.workflow.spec.name)


def _create_human_task(step: Step, task: Any, now: datetime) -> HumanTask | None:
    element = task.task_spec.bpmn_id
    called = _element_version(step, task)
    info = (called or step.instance.version).elements.get(element, {})
    try:
        with juel_context.at(task):
            who, fallback_reason = ensure_reachable(info, assign(info, task.data, now))
            cc_users, cc_groups = cc_recipients(info, task.data, "reached")
    except AssignmentError as exc:
        step.incident(EngineError(f"element '{element}': {exc}", element=element), str(task.id))
        return None
    row = HumanTask(id=str(task.id), instance_id=step.instance.id, process_key=step.instance.process_key,
                    business_key=step.instance.business_key, element_id=element,
                    name=who.name if who.name is not None else task.task_spec.bpmn_name,
                    lane=task.task_spec.lane, assignee=who.assignee, status=TaskStatus.OPEN, created_at=now,
                    due_at=who.due_at, version_id=called.id if called is not None else None)
    substitute = directory.current().substitute(who.assignee, now.date()) if who.assignee else None
    if substitute is not None and substitute != who.assignee:
        # Out of office: the substitute works it; the assignee sees it under "Delegated" (owner).
        row.assignee, row.owner, row.delegation = substitute, who.assignee, "substitute"
    row.candidates = [TaskCandidate(kind="group", name=g) for g in dict.fromkeys(who.groups)]
    row.candidates += [TaskCandidate(kind="user", name=u) for u in dict.fromkeys(who.users)]
    if not row.candidates:
        row.candidates = [TaskCandidate(kind=ANYONE_KIND, name=ANYONE_NAME)]
    step.session.add(row)
    # Only what is set: every reader takes a missing key as "none", and the log keeps each row (issue 17, P4).
    facts = {"assignee": row.assignee, "candidateGroups": who.groups, "candidateUsers": who.users,
             "due": who.due_at.isoformat() if who.due_at else None}
    step.event(EventKind.TASK_CREATED, task_id=row.id, element_id=element, name=row.name,
               **{key: value for key, value in facts.items() if value})
    copy(step, row, cc_users, cc_groups, "reached")
    if row.owner is not None:
        step.event(EventKind.TASK_SUBSTITUTED, task_id=row.id, element_id=element, name=row.name,
                   assignee=row.assignee, owner=row.owner)
    if fallback_reason:
        step.event(EventKind.TASK_FALLBACK, task_id=row.id, element_id=element, name=row.name,
                   group=info.get("fallbackGroup"), reason=fallback_reason)
    return row


def open_task_rows(step: Step) -> dict[str, HumanTask]:
    rows = step.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == step.instance.id, HumanTask.status == TaskStatus.OPEN)
        .options(lazyload(HumanTask.candidates))
    )
    # The session does not autoflush here, so trust the in-memory status over the stored one.
    return {row.id: row for row in rows if row.status == TaskStatus.OPEN}


def close_open_tasks(step: Step, keep: set[str]) -> None:
    """Cancel the instance's open rows but those in `keep` (an instance cancelled: keep nothing)."""
    rows = open_task_rows(step)
    _cancel(step, [row for row_id, row in rows.items() if row_id not in keep])
    remember_open_tasks(step.session, step.instance.id, [row for row_id, row in rows.items() if row_id in keep])


def _cancel(step: Step, rows: list[HumanTask]) -> None:
    cosigned = [row.id for row in rows if row.delegation == PARALLEL]
    if cosigned:  # the step is gone, so are the rows of the signers added beside its assignee
        rows = [*rows, *(row for row in step.session.scalars(select(HumanTask).where(
            HumanTask.signs_for.in_(cosigned), HumanTask.status == TaskStatus.OPEN)) if row not in rows)]
    for row in rows:
        row.status, row.completed_at = TaskStatus.CANCELLED, utcnow()
        step.event(EventKind.TASK_CANCELLED, task_id=row.id, element_id=row.element_id, name=row.name)


# What the last step of an instance left open, so the response (openTasks, nextTasks) needs no query.
_OPEN_AFTER_STEP = "boms_open_tasks"


def forget_open_tasks(session: Session, instance_id: str) -> None:
    cache = session.info.get(_OPEN_AFTER_STEP)
    if cache is not None:
        cache[1].pop(instance_id, None)


def remember_open_tasks(session: Session, instance_id: str, rows: list[HumanTask]) -> None:
    cache = session.info.get(_OPEN_AFTER_STEP)
    if cache is None or cache[0] is not session.get_transaction():
        cache = session.info[_OPEN_AFTER_STEP] = (session.get_transaction(), {})
    cache[1][instance_id] = sorted(rows, key=lambda r: (r.created_at, r.id))


def open_tasks_after_step(session: Session, instance_id: str) -> list[HumanTask] | None:
    """The open task rows the last step of `instance_id` in this session left (None: no step ran here).

    Valid in the transaction of that step: only steps change which tasks are open, and each renews it.
    """
    cache = session.info.get(_OPEN_AFTER_STEP)
    if cache is None or cache[0] is not session.get_transaction():
        return None
    found = cache[1].get(instance_id)
    return [row for row in found if row.status == TaskStatus.OPEN] if found is not None else None
