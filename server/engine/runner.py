"""The one write path for process instances.

Each action runs inside the caller's single write transaction: the instance row is locked
(PostgreSQL `FOR UPDATE`; SQLite holds its writer lock from BEGIN IMMEDIATE), the engine runs until
it waits, then the projections (human_task, the instance's status/variables/elements), the pruned
engine state and the audit events are written together. Any exception rolls all of it back.

The building blocks are public, so an action is a small function composing them (server/engine/
instance_operations.py; actions that never touch the engine live in server/services): `lock_instance` /
`lock_task`, `load` (the instance's engine state as a Step), `advance` (run the engine until it waits,
then project, store and emit), `save` (store and emit without running the engine), `emit`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload

from server.audit import Event, publish
from server.db import utcnow
from server.engine import directory, juel_context, store
from server.engine.assignment import AssignmentError
from server.engine.bpmn_events import listening_starts
from server.engine.cache import LoadedVersion
from server.engine.callees import loaded_version, with_callees
from server.engine.human_tasks import close_open_tasks
from server.engine.passages import passage_rows
from server.engine.projection import project
from server.engine.recovery import RecoveryMixin, load_state
from server.engine.scripting import JexlScriptEngine
from server.engine.state_rows import keep_working_set, write_chunks
from server.engine.step import ENGINE_FAILURES, Step, all_tasks, engine_error, failed_task_id
from server.engine.task_cc import cc_recipients, copy
from server.engine.working_sets import WorkingSets
from server.errors import Conflict, EngineError, NotFound, StateUnreadable
from server.events import ENDED_STATUSES, LIVE_STATUSES, EventKind, InstanceStatus, JobStatus, TaskStatus
from server.models import (
    ElementPassage,
    EventSubscription,
    ExternalTask,
    HumanTask,
    Job,
    ProcessInstance,
    ProcessVersion,
)

logger = logging.getLogger(__name__)
# Enough for any real model; a model that keeps making engine tasks READY forever is an incident.
MAX_ENGINE_ROUNDS = 10_000


MESSAGE_VARIABLES = "__boms_message"


# Built once: constructing this select and its cache key costs more than running it on SQLite.
_LOCK_TASK = (
    select(ProcessInstance, HumanTask)
    .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
    .where(HumanTask.id == bindparam("task_id"))
    .options(joinedload(ProcessInstance.version), joinedload(HumanTask.candidates))
    .with_for_update(of=(ProcessInstance, HumanTask))
)


def _payload(definition: Any, variables: dict[str, Any]) -> dict[str, Any]:
    if hasattr(definition, "result_var"):
        # Camunda's message definition puts its payload under one variable; BOMS merges them.
        return {"payload": dict(variables), "result_var": MESSAGE_VARIABLES}
    return dict(variables)


def _merge_message_variables(workflow: Any) -> None:
    """A received message's variables become process variables (see `deliver`)."""
    for task in all_tasks(workflow):
        received = task.data.pop(MESSAGE_VARIABLES, None)
        if isinstance(received, dict):
            task.data.update(received)


def _definitions(task: Any) -> list[Any]:
    definition = task.task_spec.event_definition
    return list(getattr(definition, "event_definitions", None) or [definition])



def require_running(instance: ProcessInstance) -> None:
    # An incident on one branch does not stop timers and messages on the others.
    if instance.status not in LIVE_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}")


def require_open(instance: ProcessInstance, task: HumanTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task '{task.id}' is already {task.status}")
    # An incident on one branch does not stop people working on the others.
    if instance.status not in LIVE_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}")


class Runner(RecoveryMixin):
    def __init__(self, allow_python_scripts: bool = False) -> None:
        self.script_engine = JexlScriptEngine(allow_python_scripts)
        self.working_sets = WorkingSets()

    @staticmethod
    def _emit(session: Session, events: list[Event]) -> None:
        # Subscribers (notifications, later rules) see them in this transaction: server/audit.py.
        publish(session, events)

    def emit(self, session: Session, events: list[Event]) -> None:
        """Publish an action's events in its transaction (the audit log, then the listeners)."""
        self._emit(session, events)

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
        """Lock the task's instance and the task in one statement (instance first, as every writer does).

        Both rows are locked, so after a wait PostgreSQL re-reads both at their latest commit: a
        concurrent claim or completion of the task cannot go unseen. (Locking only the instance would
        leave the task row as the statement's snapshot saw it.) The candidates come in the same
        statement, though not locked: a task's candidate rows are written with the task and never
        changed after (their `state` is the triggers', which no code reads back), so any snapshot that
        sees the task sees its candidates as they are.
        """
        found = session.execute(_LOCK_TASK, {"task_id": task_id}).unique().one_or_none()
        if found is None:
            raise NotFound(f"task '{task_id}' does not exist")
        instance, task = found
        return task, instance

    # --- actions -------------------------------------------------------------------------------

    def start(self, session: Session, version: ProcessVersion, variables: dict[str, Any],
              business_key: str | None, actor: str, initiator_variable: str | None = None,
              prepare: Callable[[Any], None] | None = None) -> ProcessInstance:
        instance = ProcessInstance(id=str(uuid.uuid4()), version_id=version.id, process_key=version.key,
                                   business_key=business_key, status=InstanceStatus.RUNNING, started_by=actor,
                                   started_at=utcnow(), variables={}, active_elements=[], visited_elements=[])
        instance.version = version
        session.add(instance)
        initial = dict(variables)
        if initiator_variable:
            initial[initiator_variable] = actor
        loaded = self.load_version(session, version)
        workflow = store.new_workflow(loaded.spec, loaded.subprocess_specs, self.script_engine, initial)
        if prepare is not None:
            prepare(workflow)  # e.g. mark the timer or message start event that started it as fired
        step = Step(session, instance, loaded, workflow, actor, new=True)
        step.event(EventKind.INSTANCE_STARTED, process=version.key, version=version.version, variables=variables,
                   **({"businessKey": business_key} if business_key is not None else {}))
        self.advance(step)
        return instance

    def complete_task(self, session: Session, instance: ProcessInstance, task: HumanTask,
                      variables: dict[str, Any], actor: str) -> None:
        require_open(instance, task)
        step = self.load(session, instance, actor)
        step.touched_only = True
        engine_task = step.workflow.get_task_from_id(UUID(task.id))
        if engine_task is None or engine_task.state != TaskState.READY:
            raise Conflict(f"task '{task.id}' is no longer waiting to be completed")
        engine_task.data.update(variables)
        now = utcnow()
        task.status, task.completed_at, task.completed_by, task.data = TaskStatus.COMPLETED, now, actor, variables
        task.assignee = task.assignee or actor
        step.event(EventKind.TASK_COMPLETED, task_id=task.id, element_id=task.element_id, name=task.name,
                   variables=variables)

        def run() -> None:
            # CC on completion (ccWhen="completed") sees the data the task completes with.
            try:
                copy(step, task, *cc_recipients(task.element, engine_task.data, "completed"), "completed")
            except AssignmentError as exc:
                # The person's part is done (the row says so): marked failed, a retry runs the task on.
                engine_task._set_state(TaskState.ERROR)
                step.incident(EngineError(f"element '{task.element_id}': {exc}", element=task.element_id), task.id)
                return
            engine_task.run()

        self.advance(step, first=run)

    def complete_service_task(self, session: Session, instance: ProcessInstance, task_id: str,
                              result: dict[str, Any], actor: str) -> None:
        """A worker finished a service task's call: its result variables go on, the instance advances."""
        require_running(instance)
        step = self.load(session, instance, actor)
        step.touched_only = True
        engine_task = step.workflow.get_task_from_id(UUID(task_id))
        if engine_task is None or engine_task.state != TaskState.STARTED:
            raise Conflict(f"service task '{task_id}' is no longer waiting for its result")
        engine_task.data.update(result)
        step.event(EventKind.SERVICE_COMPLETED, task_id=task_id, element_id=engine_task.task_spec.bpmn_id,
                   result=result)
        self.advance(step, first=engine_task.complete)

    def start_at_event(self, session: Session, version: ProcessVersion, element_id: str, variables: dict[str, Any],
                       business_key: str | None, actor: str) -> ProcessInstance:
        """Start an instance whose timer, message or signal start event `element_id` just fired."""

        def fire(workflow: Any) -> None:
            # Mark the start event as fired before the engine first reaches it, so it never waits.
            for task in workflow.get_tasks():
                if task.task_spec.bpmn_id != element_id:
                    continue
                definition = task.task_spec.event_definition
                if isinstance(definition, (MessageEventDefinition, SignalEventDefinition)):
                    task.internal_data[definition.name] = _payload(definition, variables)
                if isinstance(definition, CycleTimerEventDefinition):
                    # A cycle fires by adding a branch per due cycle: make exactly one due, then stop.
                    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                    task._set_internal_data(event_value={"cycles": 1, "next": past, "duration": 1.0})
                else:
                    task._set_internal_data(event_fired=True)

        return self.start(session, version, {}, business_key, actor, prepare=fire)

    def fire_timers(self, session: Session, instance: ProcessInstance, actor: str = "system:timer") -> None:
        """Run what the timers due by now let run (a job found one due)."""
        require_running(instance)
        step = self.load(session, instance, actor)
        step.touched_only = True
        self.advance(step, first=step.workflow.refresh_timers)

    def deliver(self, session: Session, instance: ProcessInstance, kind: str, name: str,
                variables: dict[str, Any], actor: str) -> bool:
        """Hand a message or signal to an instance; False when nothing in it was waiting for it."""
        require_running(instance)
        step = self.load(session, instance, actor)
        step.touched_only = True
        wanted = MessageEventDefinition if kind == "message" else SignalEventDefinition
        # Catching compares definition classes exactly (Camunda's parser has its own), so send the
        # waiting definition itself.
        definition = next((d for task in step.workflow.event_manager.tasks.values()
                           for d in _definitions(task) if isinstance(d, wanted) and d.name == name), None)
        if definition is None:  # an event sub-process that starts on it (the library starts it on catch)
            definition = next((s.event_definition for s in listening_starts(step.workflow)
                               if isinstance(s.event_definition, wanted) and s.event_definition.name == name), None)
        if definition is None or not step.workflow.event_manager.catch(
                BpmnEvent(definition, payload=_payload(definition, variables)), internal=False):
            return False
        step.event(f"{kind}.received", name=name, variables=variables)
        step.received = True
        self.advance(step)
        return True

    def cancel(self, session: Session, instance: ProcessInstance, actor: str, reason: str | None = None) -> None:
        if instance.status in ENDED_STATUSES:
            raise Conflict(f"process instance '{instance.id}' is already {instance.status}")
        try:
            step = self.load(session, instance, actor)
        except StateUnreadable as exc:
            self.cancel_unreadable(session, instance, actor, reason, exc)
            return
        step.workflow.cancel()
        instance.status, instance.ended_at, instance.error = InstanceStatus.CANCELLED, utcnow(), None
        step.event(EventKind.INSTANCE_CANCELLED, reason=reason)
        with session.no_autoflush:
            close_open_tasks(step, set())
        self.drop_waits(session, instance)
        instance.active_elements = []
        self.save(step)

    # --- building blocks -------------------------------------------------------------------------

    @staticmethod
    def drop_waits(session: Session, instance: ProcessInstance) -> None:
        waiting = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.FAILED, JobStatus.SUSPENDED)
        session.execute(update(Job).where(Job.instance_id == instance.id, Job.status.in_(waiting))
                        .values(status=JobStatus.CANCELLED))
        session.execute(delete(EventSubscription).where(EventSubscription.instance_id == instance.id))
        session.execute(delete(ExternalTask).where(ExternalTask.instance_id == instance.id))

    def load_version(self, session: Session, version: ProcessVersion) -> LoadedVersion:
        # Called processes' specs are found on demand and pinned per instance (server/engine/callees.py).
        return with_callees(session, loaded_version(session, version))

    def load(self, session: Session, instance: ProcessInstance, actor: str) -> Step:
        """The instance's engine state, ready for an action by `actor` (lock the instance first)."""
        loaded = self.load_version(session, instance.version)
        entry = self.working_sets.take(session, instance.id, instance.state, loaded.spec)
        if entry is not None:  # what the last step here saved, and still what is stored
            entry.workflow.subprocess_specs = loaded.subprocess_specs
            return Step(session, instance, loaded, entry.workflow, actor, stored=entry.stored)
        workflow, stored = load_state(session, instance, loaded, self.script_engine)
        return Step(session, instance, loaded, workflow, actor, stored=stored)

    def advance(self, step: Step, first: Callable[[], Any] | None = None) -> None:
        """Run the engine until it waits, then write the projections, the state and the events.

        An engine failure does not roll the action back: the instance keeps what happened up to the
        failing element and goes into `error` (an incident) until someone fixes the cause and retries.
        """
        # One flush at commit instead of one per query: the runner knows what it has changed.
        with step.session.no_autoflush, directory.bound(step.session), juel_context.bound(step.instance, step.actor):
            try:
                if first is not None:
                    first()
                self._run_engine(step.workflow)
                if step.new or step.received:  # only a delivery (or a start by one) brings message variables
                    _merge_message_variables(step.workflow)
            except ENGINE_FAILURES as exc:
                step.incident(engine_error(exc), failed_task_id(exc))
            project(step, all_tasks(step.workflow))
            self._route_thrown_events(step)
            self.save(step)

    def save(self, step: Step) -> None:
        """Store the engine state and publish the step's events (what `advance` ends with)."""
        # An ended instance is never loaded again (every action refuses it first) and its history lives in
        # BOMS's tables: keeping its last engine state would only cost bytes (issue 17).
        ended = step.instance.status in ENDED_STATUSES
        passages = passage_rows(step, all_tasks(step.workflow) + step.removed)  # before dump: it prunes what ended
        if ended:
            step.instance.state = ""
            if step.stored is None or step.stored.chunks or not step.stored.complete:
                write_chunks(step.session, step.instance.id, None)
            self.working_sets.drop(step.session, step.instance.id)
        else:
            saved = store.dump_split(step.workflow, step.stored, step.started if step.touched_only else None)
            step.instance.state, step.stored = saved.header, saved.stored
            write_chunks(step.session, step.instance.id, saved, new=step.new)
            keep_working_set(self.working_sets, step)
        publish(step.session, step.events, also=[(ElementPassage.__table__, passages)])

    @staticmethod
    def _run_engine(workflow: Any) -> None:
        # do_engine_steps refreshes timers last, so a timer already due leaves a READY task behind.
        for _ in range(MAX_ENGINE_ROUNDS):
            workflow.do_engine_steps()
            # A plain scan of the task dicts: get_tasks walks the tree, slow with a thousand siblings.
            ready = int(TaskState.READY)  # `_state`, not the `state` property: this runs over every sibling
            if not any(not t.task_spec.manual for t in [t for t in all_tasks(workflow) if t._state == ready]):
                return
        raise RuntimeError(f"the engine was still running after {MAX_ENGINE_ROUNDS} rounds")

    @staticmethod
    def _route_thrown_events(step: Step) -> None:
        """Messages and signals nobody in this instance caught go to other instances through a job."""
        now = utcnow()
        for event in step.workflow.get_events():
            definition = event.event_definition
            kind = ("message" if isinstance(definition, MessageEventDefinition)
                    else "signal" if isinstance(definition, SignalEventDefinition) else None)
            if kind is None:
                continue  # errors and escalations nobody caught end where BPMN says they end
            variables = event.payload or {}
            if isinstance(variables.get("payload"), dict) and "result_var" in variables:
                variables = variables["payload"]  # Camunda's message payload shape
            payload = {"name": definition.name, "variables": variables,
                       "businessKey": step.instance.business_key, "from": step.instance.id}
            step.session.add(Job(instance_id=None, kind=kind, element_id=None, payload=payload, due_at=now,
                                 status=JobStatus.PENDING, attempts=0, created_at=now))
            step.event(EventKind(f"{kind}.thrown"), name=definition.name)
