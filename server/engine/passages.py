"""The element passages a step adds (server/models/passage.py): one INSERT of many rows, or none.

Written from the engine's task list at the end of a step, before the state is pruned and saved. A task
is a passage once its token has reached it: it is live (READY, WAITING, STARTED, ERROR), completed, or
cancelled after that (a task whose parent completed, or that had an open row). Predicted tasks
(FUTURE, LIKELY, MAYBE) are the engine's plans, never rows. The incoming sequence flow is read from
the task tree: a task's parent is the element the token came from; pruning keeps the parents of
unfinished tasks, so the pair is exact for a task entered in an earlier step too.

An instance waiting after an event-based gateway waits in the gateway, as Camunda 7 has it (the token
stays in the gateway's activity instance; its catch events are the gateway's subscriptions, so Cockpit
shows the instance on the gateway): the gateway's task is WAITING and gets the open row, its time is the
wait for the first event. Its catch events, like boundary events, only listen: each is a passage when
it fires, never a second waiting token beside the gateway's (which would count the instance twice).

Times are the step's clock: what enters and ends within one step took no time an instance waits.
The instances inside a multi-instance or looped activity are not rows: the activity's own task is the
passage (one per arrival, as the diagram draws one shape). Tasks of called processes belong to the
callee's diagram and are skipped here (they are not this version's elements); embedded sub-processes
are part of it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from server.db import utcnow
from server.engine.step import ENTERED, Step

logger = logging.getLogger(__name__)

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# The incoming flow of a task entered through one of the engine's own tasks (see _source), kept with it.
FLOW = "boms_flow"
JOINS = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})


def _own_specs(step: Step) -> frozenset[str]:
    """Names of the workflow specs whose tasks are this version's elements: the process and its sub-processes."""
    spec = step.loaded.spec
    cached = getattr(spec, "_boms_own_specs", None)
    if cached is None:
        elements = step.instance.version.elements
        cached = frozenset({spec.name, *(e for e, info in elements.items() if info.get("kind") in CONTAINERS)})
        spec._boms_own_specs = cached
    return cached


def _reached(task: Any) -> bool:
    parent = task.parent
    return ENTERED in task.internal_data or (parent is not None and parent.state == TaskState.COMPLETED)


def _source(task: Any) -> str | None:
    """The element the token came from: the engine puts tasks of its own between (the split before an
    activity with boundary events, the join after it), which are no element."""
    parent = task.parent
    while parent is not None and parent.task_spec.bpmn_id is None:
        parent = parent.parent
    return parent.task_spec.bpmn_id if parent is not None else None


def _armed(info: dict[str, Any], parent: Any, elements: dict[str, Any]) -> bool:
    if info.get("kind") == "boundaryEvent":
        return True
    if info.get("kind") != "intermediateCatchEvent" or parent is None:
        return False
    return elements.get(parent.task_spec.bpmn_id, {}).get("kind") == "eventBasedGateway"


def _merged(step: Step, task: Any) -> bool:
    """A join's cancelled token was absorbed by a later arrival (the engine keeps only the newest waiting or
    the firing one), not cancelled with its scope (instance cancel, terminate, an interrupting event)."""
    return any(other is not task and other.task_spec is task.task_spec and other.state != TaskState.CANCELLED
               and other.last_state_change >= step.started for other in task.workflow.tasks.values())


def passage_rows(step: Step, tasks: list[Any]) -> list[dict[str, Any]]:
    """This step's passage rows (written with its audit events: runner.save), stamping newly live tasks
    with their entry time.

    The figures are a by-product: a failure while working the rows out is logged and the step goes on
    without them, never a 500 that rolls the step back (and every later action on the instance)."""
    try:
        return _rows(step, tasks)
    except Exception:  # noqa: BLE001 - whatever it is, the instance must keep running
        logger.exception("element passages of process instance %s not recorded", step.instance.id)
        return []


def _rows(step: Step, tasks: list[Any]) -> list[dict[str, Any]]:
    elements = step.instance.version.elements
    own = _own_specs(step)
    # A start's passages begin when the instance did: the first recorded instance then marks where the
    # history begins (instances started before it ran before the table: server/analytics/heatmap_sql.py).
    now = step.instance.started_at if step.new else utcnow()
    stamp = now.isoformat()
    rows: list[dict[str, Any]] = []
    removed = {task.id for task in step.removed}
    for task in tasks:
        element = task.task_spec.bpmn_id
        if element is None or task.last_state_change < step.started:
            continue
        info = elements.get(element)
        if info is None or info.get("kind") == "sequenceFlow" or task.workflow.spec.name not in own:
            continue
        parent = task.parent
        if parent is not None and parent.task_spec.bpmn_id == element:
            continue  # one instance of a multi-instance or loop activity: the activity's own task is its passage
        if _armed(info, parent, elements):
            # A boundary event, or a catch event after an event-based gateway, listens; no token is in it
            # until it fires. Only a fired one is a passage (entered and left as it fires).
            if task.state == TaskState.COMPLETED:
                rows.append(_row(step, task, element, info, now, now, "completed"))
            continue
        if task.id in step.unrecorded:
            continue
        entered = task.internal_data.get(ENTERED)
        if task.has_state(LIVE):
            if entered is None:
                task.internal_data[ENTERED] = stamp
                row = _row(step, task, element, info, now, None, None)
                if row["flow_id"] and task.parent is not None and task.parent.task_spec.bpmn_id is None:
                    task.internal_data[FLOW] = row["flow_id"]  # pruning drops the element above the split
                rows.append(row)
            continue
        if task.state == TaskState.COMPLETED:
            outcome = "completed"
        elif task.state == TaskState.CANCELLED and _reached(task):
            merged = info.get("kind") in JOINS and task.id not in removed and _merged(step, task)
            outcome = "merged" if merged else "cancelled"
        else:
            continue
        since = datetime.fromisoformat(entered) if entered else now
        rows.append(_row(step, task, element, info, since, now, outcome))
    return rows


def _row(step: Step, task: Any, element: str, info: dict[str, Any], entered: datetime, left: datetime | None,
         outcome: str | None) -> dict[str, Any]:
    flow = task.internal_data.get(FLOW) or step.loaded.flows.get((_source(task), element))
    return {"instance_id": step.instance.id, "version_id": step.instance.version_id, "element_id": element,
            "element_type": info.get("kind", ""), "flow_id": flow,
            "task_id": str(task.id), "entered_at": entered, "left_at": left, "outcome": outcome,
            "seconds": (left - entered).total_seconds() if left is not None and outcome != "cancelled" else None}
