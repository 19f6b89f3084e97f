"""Operations on a whole instance: suspend, resume, retry an incident, correct variables, migrate.

Functions composing the runner's building blocks (runner.py: load → change → advance or save, emit),
so each goes through the same path as every other action; the caller has locked the instance.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine import store
from server.engine.passages import FLOW
from server.engine.runner import Runner
from server.engine.step import ENTERED, Step, all_tasks
from server.errors import Conflict, StateUnreadable
from server.events import ENDED_STATUSES, LIVE_STATUSES, EventKind, InstanceStatus, JobStatus
from server.models import ExternalTask, Job, ProcessInstance, ProcessVersion

UNFINISHED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def suspend(runner: Runner, session: Session, instance: ProcessInstance, actor: str) -> None:
    if instance.status not in LIVE_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}; only a running instance "
                       "can be suspended")
    instance.status = InstanceStatus.SUSPENDED
    # Timers and service calls wait with it; an incident stays recorded in instance.error.
    session.execute(update(Job).where(Job.instance_id == instance.id,
                                      Job.status.in_((JobStatus.PENDING, JobStatus.QUEUED)))
                    .values(status=JobStatus.SUSPENDED))
    runner.emit(session, [instance_event(instance, actor, EventKind.INSTANCE_SUSPENDED)])


def resume(runner: Runner, session: Session, instance: ProcessInstance, actor: str) -> None:
    if instance.status != InstanceStatus.SUSPENDED:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}, not suspended")
    instance.status = InstanceStatus.ERROR if instance.error else InstanceStatus.RUNNING
    # Timers that fell due meanwhile fire now, once.
    session.execute(update(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.SUSPENDED)
                    .values(status=JobStatus.PENDING))
    runner.emit(session, [instance_event(instance, actor, EventKind.INSTANCE_RESUMED)])


def retry(runner: Runner, session: Session, instance: ProcessInstance, actor: str) -> None:
    """Run the failed element again (after its cause was fixed); a new failure is a new incident."""
    if instance.status != InstanceStatus.ERROR:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}; only an instance in error "
                       "can be retried")
    incident, instance.error, instance.status = instance.error, None, InstanceStatus.RUNNING
    session.execute(update(Job).where(Job.instance_id == instance.id, Job.status == JobStatus.FAILED)
                    .values(status=JobStatus.PENDING, due_at=utcnow(), attempts=0, last_error=None))
    # An external task out of retries gets one more, as Camunda's "set retries" resolves its incident.
    session.execute(update(ExternalTask).where(ExternalTask.instance_id == instance.id, ExternalTask.retries == 0)
                    .values(retries=1, worker_id=None, lock_expires_at=None))
    step = runner.load(session, instance, actor)
    step.event(EventKind.INSTANCE_RETRIED, element_id=(incident or {}).get("element"),
               message=(incident or {}).get("message"))
    failed = list(step.workflow.get_tasks(state=TaskState.ERROR))
    stuck_id = (incident or {}).get("taskId")
    stuck = step.workflow.get_task_from_id(UUID(stuck_id)) if stuck_id else None

    def rerun() -> None:
        for task in failed:
            task._set_state(TaskState.READY)
            if task.task_spec.manual:
                task.run()  # a person completed it already: only its outputs failed
        if stuck is not None and stuck not in failed and not stuck.has_state(TaskState.FINISHED_MASK):
            # It failed while being reached (e.g. a bad timer value): reach it again.
            stuck.task_spec._update(stuck)

    runner.advance(step, first=rerun)


def set_variables(runner: Runner, session: Session, instance: ProcessInstance, variables: dict[str, Any],
                  actor: str) -> dict[str, dict[str, Any]]:
    """Merge `variables` into every unfinished engine task (what will run next reads them)."""
    if instance.status in ENDED_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}")
    try:
        step, repaired = runner.load(session, instance, actor), None
    except StateUnreadable as exc:  # the variable that broke it may be the one being set
        loaded = runner.load_version(session, instance.version)
        workflow, stored = runner.repaired_workflow(session, instance, loaded, variables)
        step = Step(session, instance, loaded, workflow, actor, stored=stored)
        repaired = exc.details.get("reason")
    changes = {name: {"old": instance.variables.get(name), "new": value}
               for name, value in variables.items() if instance.variables.get(name, object()) != value}
    if repaired:
        step.event(EventKind.INSTANCE_STATE_REPAIRED, variables=sorted(variables), loadError=repaired)
    elif not changes:
        return {}
    # Tasks about to run inherit their parent's data, so parents of unfinished tasks change too.
    pending = [t for t in all_tasks(step.workflow) if not t.has_state(TaskState.FINISHED_MASK - TaskState.ERROR)]
    tasks = {t.id: t for t in pending} | {t.parent.id: t.parent for t in pending if t.parent is not None}
    for task in tasks.values() or [step.workflow.task_tree]:
        task.data.update(variables)
    instance.variables = {**instance.variables, **variables}
    step.event(EventKind.INSTANCE_VARIABLES_CHANGED, changes=changes)
    runner.save(step)
    return changes


def migrate(runner: Runner, session: Session, instance: ProcessInstance, target: ProcessVersion,
            actor: str) -> None:
    """Move a running instance to `target` (same process key), matching elements by id."""
    if instance.status in ENDED_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}")
    if target.key != instance.process_key:
        raise Conflict(f"version {target.version} belongs to '{target.key}', not '{instance.process_key}'")
    if target.id == instance.version_id:
        raise Conflict(f"process instance '{instance.id}' already runs version {target.version}")
    source = instance.version
    step = runner.load(session, instance, actor)
    new = runner.load_version(session, target)
    store.describe_specs(step.loaded.spec, *step.loaded.subprocess_specs.values(), new.spec,
                         *new.subprocess_specs.values())
    top, subs = diff_workflow(store.registry(), step.workflow, new.spec, new.subprocess_specs)
    # Elements are matched by id: an active element must keep its id (the diff alone matches by shape).
    known = {ts.bpmn_id for spec in (new.spec, *new.subprocess_specs.values()) for ts in spec.task_specs.values()}
    missing = sorted({t.task_spec.bpmn_id for t in all_tasks(step.workflow)
                      if t.has_state(UNFINISHED) and t.task_spec.bpmn_id and t.task_spec.bpmn_id not in known})
    missing += sorted({t.task_spec.bpmn_id or t.task_spec.name for t in top.removed if t.has_state(UNFINISHED)})
    for sub_id, sub_diff in subs.items():
        if sub_diff is None:
            missing.append(f"sub-process {step.workflow.subprocesses[sub_id].spec.name}")
        else:
            missing += [t.task_spec.bpmn_id or t.task_spec.name for t in sub_diff.removed
                        if t.has_state(UNFINISHED)]
    if missing:
        raise Conflict(f"cannot migrate process instance '{instance.id}' to version {target.version}: active "
                       f"element(s) {', '.join(sorted(set(missing)))} do not exist there", elements=missing)
    # READY tasks are re-predicted from the new spec; WAITING ones (timers, messages) keep waiting
    # with their due times instead of restarting, their continuations taking the new specs by id.
    keep = TaskState.READY
    # A reset task is the same task re-predicted; the library clears its internal data, BOMS keeps when its
    # token entered (else a second open passage: server/engine/passages.py).
    entered = {t.id: {k: t.internal_data[k] for k in (ENTERED, FLOW) if k in t.internal_data}
               for t in all_tasks(step.workflow) if ENTERED in t.internal_data}
    migrate_workflow(top, step.workflow, new.spec, reset_mask=keep)
    for sub_id, sub_diff in subs.items():
        sub = step.workflow.subprocesses[sub_id]
        migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name], reset_mask=keep)
    for task in all_tasks(step.workflow):
        for key, value in entered.get(task.id, {}).items():
            task.internal_data.setdefault(key, value)
    # Called processes keep the versions this instance pinned when it first called them.
    pins = getattr(step.workflow.subprocess_specs, "pins", None)
    if pins and hasattr(new.subprocess_specs, "pins"):
        new.subprocess_specs.pins.update(pins)
    step.workflow.subprocess_specs = new.subprocess_specs
    instance.version, instance.version_id = target, target.id
    step.loaded = new
    step.event(EventKind.INSTANCE_MIGRATED, fromVersion=source.version, toVersion=target.version,
               fromVersionId=source.id, toVersionId=target.id)
    if instance.status == InstanceStatus.RUNNING:
        runner.advance(step)
    else:
        runner.save(step)


def record_incident(runner: Runner, session: Session, instance: ProcessInstance, element_id: str | None,
                    task_id: str | None, message: str, actor: str = "system") -> None:
    """A job failed for good (a service task out of retries): the instance waits for someone to retry."""
    if instance.status in ENDED_STATUSES:
        return
    if instance.status != InstanceStatus.SUSPENDED:
        instance.status = InstanceStatus.ERROR
    instance.error = {"element": element_id, "message": message, "taskId": task_id, "at": utcnow().isoformat()}
    runner.emit(session, [Event(kind=EventKind.INCIDENT_CREATED, actor=actor, instance_id=instance.id,
                                       task_id=task_id, element_id=element_id, data={"message": message})])


def instance_event(instance: ProcessInstance, actor: str, kind: str, **data: Any) -> Event:
    return Event(kind=kind, actor=actor, instance_id=instance.id, task_id=None, element_id=None,
                        data=data)
