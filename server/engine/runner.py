"""The one write path for process instances.

Each action runs inside the caller's single write transaction: the instance row is locked
(PostgreSQL `FOR UPDATE`; SQLite holds its writer lock from BEGIN IMMEDIATE), the engine runs until
it waits, then the projections (human_task, the instance's status/variables/elements), the pruned
engine state and the audit events are written together. Any exception rolls all of it back.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from server.db import utcnow
from server.engine import store
from server.engine.assignment import AssignmentError, assign
from server.engine.cache import LoadedVersion, specs
from server.engine.scripting import JexlScriptEngine
from server.errors import Conflict, EngineError, NotFound
from server.models import DecisionVersion, HumanTask, ProcessInstance, ProcessVersion, TaskCandidate
from server.services.audit import PendingEvent, append

logger = logging.getLogger(__name__)
LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway"}


@dataclass
class Step:
    session: Session
    instance: ProcessInstance
    loaded: LoadedVersion
    workflow: Any
    actor: str
    started: float = field(default_factory=time.time)
    events: list[PendingEvent] = field(default_factory=list)

    def event(self, kind: str, task_id: str | None = None, element_id: str | None = None, **data: Any) -> None:
        self.events.append(PendingEvent(kind=kind, actor=self.actor, instance_id=self.instance.id,
                                        task_id=task_id, element_id=element_id, data=data))


ENGINE_FAILURES = (SpiffWorkflowException, KeyError, TypeError, ValueError, AttributeError, IndexError)


def _engine_error(exc: Exception) -> EngineError:
    task = getattr(exc, "task", None)
    spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
    element = getattr(spec, "bpmn_id", None)
    notes = "; ".join(getattr(exc, "notes", None) or getattr(exc, "__notes__", None) or [])
    if not isinstance(exc, SpiffWorkflowException):
        logger.exception("the engine failed on element %s", element)
    message = f"element '{element}': {exc}" if element else str(exc)
    return EngineError(message + (f" ({notes})" if notes else ""), element=element)


def _all_tasks(workflow: Any) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


Listener = Callable[[Session, list[PendingEvent]], None]


class Runner:
    def __init__(self, allow_python_scripts: bool = False) -> None:
        self.script_engine = JexlScriptEngine(allow_python_scripts)
        # Called with each action's events inside its transaction: notifications now, rules later.
        self.listeners: list[Listener] = []

    def _emit(self, session: Session, events: list[PendingEvent]) -> None:
        append(session, events)
        for listener in self.listeners:
            listener(session, events)

    # --- locking -------------------------------------------------------------------------------

    def lock_instance(self, session: Session, instance_id: str) -> ProcessInstance:
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .options(joinedload(ProcessInstance.version)).with_for_update(of=ProcessInstance)
        ).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"process instance '{instance_id}' does not exist")
        return instance

    def lock_task(self, session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance]:
        """Lock the task's instance, then read the task: a statement after the lock sees the latest commit.

        (Reading both in the locking query would not: PostgreSQL re-checks only the locked row after a
        wait, so a concurrent claim or completion of the task could go unseen.)
        """
        instance = session.execute(
            select(ProcessInstance)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .where(HumanTask.id == task_id)
            .options(joinedload(ProcessInstance.version))
            .with_for_update(of=ProcessInstance)
        ).scalar_one_or_none()
        task = session.get(HumanTask, task_id) if instance is not None else None
        if task is None:
            raise NotFound(f"task '{task_id}' does not exist")
        return task, instance

    # --- actions -------------------------------------------------------------------------------

    def start(self, session: Session, version: ProcessVersion, variables: dict[str, Any],
              business_key: str | None, actor: str, initiator_variable: str | None = None) -> ProcessInstance:
        instance = ProcessInstance(id=str(uuid.uuid4()), version_id=version.id, process_key=version.key,
                                   business_key=business_key, status="running", started_by=actor,
                                   started_at=utcnow(), variables={}, active_elements=[], visited_elements=[])
        instance.version = version
        session.add(instance)
        initial = dict(variables)
        if initiator_variable:
            initial[initiator_variable] = actor
        loaded = self._loaded(session, version)
        workflow = store.new_workflow(loaded.spec, loaded.subprocess_specs, self.script_engine, initial)
        step = Step(session, instance, loaded, workflow, actor)
        step.event("instance.started", process=version.key, version=version.version,
                   businessKey=business_key, variables=variables)
        self._advance(step)
        return instance

    def complete_task(self, session: Session, instance: ProcessInstance, task: HumanTask,
                      variables: dict[str, Any], actor: str) -> None:
        self._require_open(instance, task)
        step = self._load(session, instance, actor)
        engine_task = step.workflow.get_task_from_id(UUID(task.id))
        if engine_task is None or engine_task.state != TaskState.READY:
            raise Conflict(f"task '{task.id}' is no longer waiting to be completed")
        engine_task.data.update(variables)
        try:
            engine_task.run()
        except ENGINE_FAILURES as exc:
            raise _engine_error(exc) from exc
        now = utcnow()
        task.status, task.completed_at, task.completed_by, task.data = "completed", now, actor, variables
        task.assignee = task.assignee or actor
        step.event("task.completed", task_id=task.id, element_id=task.element_id, name=task.name,
                   variables=variables)
        self._advance(step)

    def claim(self, session: Session, instance: ProcessInstance, task: HumanTask, assignee: str,
              actor: str) -> None:
        self._require_open(instance, task)
        if task.assignee == assignee:
            return  # claiming what you hold changes nothing, so nothing is recorded
        if task.assignee:
            raise Conflict(f"task '{task.id}' is already claimed by {task.assignee}")
        task.assignee = assignee
        self._record(session, instance, actor, "task.claimed", task, assignee=assignee)

    def unclaim(self, session: Session, instance: ProcessInstance, task: HumanTask, actor: str) -> None:
        self._require_open(instance, task)
        previous, task.assignee = task.assignee, None
        self._record(session, instance, actor, "task.unclaimed", task, previousAssignee=previous)

    def cancel(self, session: Session, instance: ProcessInstance, actor: str, reason: str | None = None) -> None:
        if instance.status in ("completed", "cancelled"):
            raise Conflict(f"process instance '{instance.id}' is already {instance.status}")
        step = self._load(session, instance, actor)
        step.workflow.cancel()
        instance.status, instance.ended_at = "cancelled", utcnow()
        step.event("instance.cancelled", reason=reason)
        with session.no_autoflush:
            self._close_open_tasks(step, set())
        instance.active_elements = []
        instance.state = store.dump(step.workflow)
        self._emit(session, step.events)

    # --- internals -----------------------------------------------------------------------------

    @staticmethod
    def _require_open(instance: ProcessInstance, task: HumanTask) -> None:
        if task.status != "open":
            raise Conflict(f"task '{task.id}' is already {task.status}")
        if instance.status != "running":
            raise Conflict(f"process instance '{instance.id}' is {instance.status}")

    def _record(self, session: Session, instance: ProcessInstance, actor: str, kind: str, task: HumanTask,
                **data: Any) -> None:
        self._emit(session, [PendingEvent(kind=kind, actor=actor, instance_id=instance.id, task_id=task.id,
                                          element_id=task.element_id, data=data)])

    def _loaded(self, session: Session, version: ProcessVersion) -> LoadedVersion:
        def decision_xmls() -> list[str]:
            if not version.decision_ids:
                return []
            rows = session.scalars(select(DecisionVersion).where(DecisionVersion.id.in_(version.decision_ids)))
            return [row.dmn_xml for row in rows]

        return specs.get(version, decision_xmls)

    def _load(self, session: Session, instance: ProcessInstance, actor: str) -> Step:
        loaded = self._loaded(session, instance.version)
        workflow = store.load(instance.state, loaded.spec, loaded.subprocess_specs, self.script_engine)
        return Step(session, instance, loaded, workflow, actor)

    def _advance(self, step: Step) -> None:
        # One flush at commit instead of one per query: the runner knows what it has changed.
        with step.session.no_autoflush:
            self._run_and_store(step)

    def _run_and_store(self, step: Step) -> None:
        try:
            step.workflow.do_engine_steps()
        except ENGINE_FAILURES as exc:
            # Not only SpiffWorkflow's own errors: a model it cannot run must fail the step, not the server.
            raise _engine_error(exc) from exc
        self._project(step)
        step.instance.state = store.dump(step.workflow)
        self._emit(step.session, step.events)

    def _project(self, step: Step) -> None:
        instance, workflow = step.instance, step.workflow
        elements = instance.version.elements
        tasks = _all_tasks(workflow)
        visited = set(instance.visited_elements)
        active: list[str] = []
        ready_human: list[Any] = []
        for task in tasks:
            element = task.task_spec.bpmn_id
            # Only what has happened or is happening: FUTURE/LIKELY/MAYBE tasks are the engine's plans.
            if element is None or not task.has_state(LIVE | TaskState.COMPLETED):
                continue
            if task.has_state(LIVE):
                active.append(element)
                if task.state == TaskState.READY and task.task_spec.manual:
                    ready_human.append(task)
            if task.last_state_change < step.started:
                continue
            visited.add(element)
            parent = task.parent.task_spec.bpmn_id if task.parent is not None else None
            flow = step.loaded.flows.get((parent, element)) if parent else None
            if flow:
                visited.add(flow)
            if task.state == TaskState.COMPLETED:
                self._completion_events(step, task, elements.get(element, {}))
        instance.visited_elements = sorted(visited)
        instance.active_elements = sorted(set(active))
        self._sync_human_tasks(step, ready_human)
        live = [t for t in tasks if t.has_state(LIVE)] or [t for t in tasks if t.state == TaskState.COMPLETED]
        if live:
            instance.variables = dict(max(live, key=lambda t: t.last_state_change).data)
        if workflow.is_completed() and instance.status == "running":
            instance.status, instance.ended_at = "completed", utcnow()
            step.event("instance.completed", variables=instance.variables)

    def _completion_events(self, step: Step, task: Any, info: dict[str, Any]) -> None:
        element = task.task_spec.bpmn_id
        if info.get("kind") in GATEWAYS:
            taken = [c.task_spec.bpmn_id for c in task.children if not c.has_state(TaskState.PREDICTED_MASK)]
            flows = [step.loaded.flows.get((element, target)) for target in taken]
            step.event("gateway.decided", element_id=element, name=info.get("name"), targets=taken, flows=flows)
        decision = task.internal_data.get("boms_decision")
        if decision:
            step.event("decision.evaluated", task_id=str(task.id), element_id=element, **decision)

    def _sync_human_tasks(self, step: Step, ready: list[Any]) -> None:
        open_rows = self._open_rows(step)
        now = utcnow()
        for task in ready:
            if str(task.id) not in open_rows:
                self._create_human_task(step, task, now)
        self._close_open_tasks(step, {str(task.id) for task in ready}, open_rows)

    def _create_human_task(self, step: Step, task: Any, now: Any) -> None:
        element = task.task_spec.bpmn_id
        info = step.instance.version.elements.get(element, {})
        try:
            who = assign(info, task.data, now)
        except AssignmentError as exc:
            raise EngineError(f"element '{element}': {exc}", element=element) from exc
        row = HumanTask(id=str(task.id), instance_id=step.instance.id, process_key=step.instance.process_key,
                        business_key=step.instance.business_key, element_id=element, name=task.task_spec.bpmn_name,
                        lane=task.task_spec.lane, assignee=who.assignee, status="open", created_at=now,
                        due_at=who.due_at)
        row.candidates = [TaskCandidate(kind="group", name=g) for g in dict.fromkeys(who.groups)]
        row.candidates += [TaskCandidate(kind="user", name=u) for u in dict.fromkeys(who.users)]
        step.session.add(row)
        step.event("task.created", task_id=row.id, element_id=element, name=row.name, assignee=who.assignee,
                   candidateGroups=who.groups, candidateUsers=who.users,
                   due=who.due_at.isoformat() if who.due_at else None)

    @staticmethod
    def _open_rows(step: Step) -> dict[str, HumanTask]:
        rows = step.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == step.instance.id, HumanTask.status == "open")
            .options(lazyload(HumanTask.candidates))
        )
        # The session does not autoflush here, so trust the in-memory status over the stored one.
        return {row.id: row for row in rows if row.status == "open"}

    def _close_open_tasks(self, step: Step, keep: set[str], open_rows: dict[str, HumanTask] | None = None) -> None:
        for row_id, row in (self._open_rows(step) if open_rows is None else open_rows).items():
            if row_id not in keep:
                row.status, row.completed_at = "cancelled", utcnow()
                step.event("task.cancelled", task_id=row_id, element_id=row.element_id, name=row.name)
