"""What a step writes besides the engine state: the rows that pages, workers and event routing read.

- the instance's status, variables and active/visited elements;
- human_task rows for READY user tasks (created, cancelled when the engine drops them: human_tasks.py);
- job rows for waiting timers and started service tasks (what the poller hands to workers);
- event_subscription rows for the messages and signals the instance waits for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition, TerminateEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from server.db import utcnow
from server.engine import timers
from server.engine.bpmn_events import listening_starts
from server.engine.external_sync import external_config, sync_external_tasks
from server.engine.human_tasks import sync_human_tasks
from server.engine.step import Step
from server.events import ENDED_STATUSES, LIVE_STATUSES, EventKind, InstanceStatus, JobStatus
from server.models import EventSubscription, Job

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway"}
NO_WAIT_EVENTS = (NoneEventDefinition, TerminateEventDefinition)
ACTIVE_JOBS = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.SUSPENDED)


def project(step: Step, tasks: list[Any]) -> None:
    instance, workflow = step.instance, step.workflow
    elements = instance.version.elements
    visited = set(instance.visited_elements)
    active: set[str] = set()
    ready_human: list[Any] = []
    latest_live = latest_done = None
    touched: list[Any] = []  # what this step changed: human_tasks.py needs no pass of its own
    # One pass with the state bits read inline: it runs over every open sibling of a multi-instance.
    live, seen, ready, completed, started = int(LIVE), int(LIVE | TaskState.COMPLETED | TaskState.ERROR), \
        int(TaskState.READY), int(TaskState.COMPLETED), step.started
    for task in tasks:
        state = task._state
        if task.last_state_change >= started:
            touched.append(task)  # cancelled ones too: their rows are cancelled
        if not state & seen:
            continue
        if state & live and (latest_live is None or task.last_state_change > latest_live.last_state_change):
            latest_live = task
        elif state == completed and (latest_done is None or task.last_state_change > latest_done.last_state_change):
            latest_done = task
        spec = task.task_spec
        element = spec.bpmn_id
        # Only what has happened or is happening: FUTURE/LIKELY/MAYBE tasks are the engine's plans.
        if element is None:
            continue
        if state != completed:
            active.add(element)
            if state == ready and spec.manual:
                ready_human.append(task)
        if task.last_state_change < started:
            continue
        visited.add(element)
        parent = task.parent.task_spec.bpmn_id if task.parent is not None else None
        flow = step.loaded.flows.get((parent, element)) if parent else None
        if flow:
            visited.add(flow)
        if state == completed:
            _completion_events(step, task, elements.get(element, {}))
    instance.visited_elements = sorted(visited)
    instance.active_elements = sorted(active)
    sync_human_tasks(step, ready_human, touched)
    if _may_wait(step.loaded):
        _sync_jobs(step, tasks)
        _sync_subscriptions(step, tasks)
        sync_external_tasks(step, tasks)
    latest = latest_live or latest_done
    if latest is not None:
        instance.variables = dict(latest.data)
    if workflow.is_completed() and instance.status in LIVE_STATUSES and not instance.error:
        instance.status, instance.ended_at = InstanceStatus.COMPLETED, utcnow()
        step.event(EventKind.INSTANCE_COMPLETED, variables=instance.variables)


def _may_wait(loaded: Any) -> bool:
    """Whether a version has timers, messages, signals or service tasks: most steps skip two queries."""
    cached = getattr(loaded.spec, "_boms_may_wait", None)
    if cached is None:
        specs = [loaded.spec, *loaded.subprocess_specs.values()]
        # Plain start and end events carry a NoneEventDefinition (and terminate ends their own): no wait.
        cached = any(
            isinstance(ts, ServiceTask)
            or not isinstance(getattr(ts, "event_definition", None), (type(None), *NO_WAIT_EVENTS))
            for spec in specs for ts in spec.task_specs.values()
        )
        loaded.spec._boms_may_wait = cached
    return cached


def _completion_events(step: Step, task: Any, info: dict[str, Any]) -> None:
    element = task.task_spec.bpmn_id
    if info.get("kind") in GATEWAYS:
        taken = [c.task_spec.bpmn_id for c in task.children if not c.has_state(TaskState.PREDICTED_MASK)]
        flows = [step.loaded.flows.get((element, target)) for target in taken]
        step.event(EventKind.GATEWAY_DECIDED, element_id=element, name=info.get("name"), targets=taken, flows=flows)
    decision = task.internal_data.get("boms_decision")
    if decision:
        step.event(EventKind.DECISION_EVALUATED, task_id=str(task.id), element_id=element, **decision)


# --- jobs and subscriptions --------------------------------------------------------------------

def _sync_jobs(step: Step, tasks: list[Any]) -> None:
    now = utcnow()
    wanted: dict[tuple[str, str, datetime | None], str] = {}
    for task, due in timers.waiting_timers(tasks):
        wanted[("timer", str(task.id), due)] = task.task_spec.bpmn_id
    for task in tasks:
        if task.state == TaskState.STARTED and isinstance(task.task_spec, ServiceTask) \
                and external_config(step.instance.version.elements, task.task_spec.bpmn_id) is None:
            wanted[("service", str(task.id), None)] = task.task_spec.bpmn_id
    existing = step.session.scalars(
        select(Job).where(Job.instance_id == step.instance.id, Job.kind.in_(("timer", "service")),
                          Job.status.in_(ACTIVE_JOBS))
    )
    for job in existing:
        key = (job.kind, job.task_id or "", job.due_at if job.kind == "timer" else None)
        if key in wanted:
            del wanted[key]
        elif job.status != JobStatus.RUNNING:  # a running job is finished by its worker
            job.status = JobStatus.CANCELLED
    status = JobStatus.SUSPENDED if step.instance.status == InstanceStatus.SUSPENDED else JobStatus.PENDING
    for (kind, task_id, due), element in wanted.items():
        step.session.add(Job(instance_id=step.instance.id, kind=kind, element_id=element, task_id=task_id,
                             payload={}, due_at=due or now, status=status, attempts=0, created_at=now))


def waits(tasks: list[Any]) -> set[tuple[str, str, str, str]]:
    """(kind, name, element, task id) for each message or signal a task waits for."""
    found = set()
    for task in tasks:
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        items = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for item in items:
            kind = ("message" if isinstance(item, MessageEventDefinition)
                    else "signal" if isinstance(item, SignalEventDefinition) else None)
            if kind and item.name:
                found.add((kind, item.name, task.task_spec.bpmn_id, str(task.id)))
    return found


def _event_subprocess_waits(workflow: Any) -> set[tuple[str, str, str, str]]:
    """Message and signal starts of event sub-processes listen while their scope (the process) runs."""
    found = set()
    for start in listening_starts(workflow):
        item = start.event_definition
        kind = ("message" if isinstance(item, MessageEventDefinition)
                else "signal" if isinstance(item, SignalEventDefinition) else None)
        if kind and item.name:
            found.add((kind, item.name, start.bpmn_id, str(workflow.task_tree.id)))
    return found


def _sync_subscriptions(step: Step, tasks: list[Any]) -> None:
    wanted = waits(tasks) | _event_subprocess_waits(step.workflow) \
        if step.instance.status not in ENDED_STATUSES else set()
    rows = step.session.scalars(select(EventSubscription).where(EventSubscription.instance_id == step.instance.id))
    for row in rows:
        key = (row.kind, row.name, row.element_id, row.task_id)
        if key in wanted:
            wanted.discard(key)
        else:
            step.session.delete(row)
    for kind, name, element, task_id in wanted:
        step.session.add(EventSubscription(instance_id=step.instance.id, kind=kind, name=name, element_id=element,
                                           task_id=task_id, created_at=utcnow()))
