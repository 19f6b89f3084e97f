"""How an instance's engine state is saved: the working tree only, never its history.

SpiffWorkflow keeps every completed task in its tree, so a loop makes the tree one level deeper
per pass and every engine step walks all of it. Before each save BOMS prunes the tree to what
the engine can still need: unfinished tasks, their parents (joins look at a task's parent to see
which incoming flow completed) and the root; each kept task is re-linked to its nearest kept
ancestor, so ancestry among kept tasks is unchanged. History lives in BOMS's own tables
(human_task, audit_event), written in the same transaction. The process spec is not saved at all:
it is parsed once per version and cached.
"""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from server.engine.state_chunks import CHUNK_AT, TOP, Chunk, Stored, chunk_body, find_chunks, join, unchanged

REVISION = "boms_revision"
CHUNK_COUNT = "boms_chunks"


class BomsWorkflow(BpmnWorkflow):
    """SpiffWorkflow's workflow, with waiting tasks found without walking the whole tree.

    After every task completion the library walks the task tree to update WAITING tasks, so a
    step that completes N tasks (a multi-instance of N items) costs O(N^2) tree steps; the dict of
    tasks is a flat list of the same tasks (in creation order: parents before children).
    """

    def update_waiting_tasks(self) -> None:
        waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
        for task in waiting:
            if task._state == TaskState.WAITING:
                task.task_spec._update(task)


class TaskDataConverter(TaskConverter):
    """Restores a task's data without first copying what its delta deletes.

    SpiffWorkflow saves a task's data as a delta from its parent's and restores it by copying all
    of the parent's data, then deleting. A multi-instance parent holds the whole collection, which
    none of its N instances keeps: copying it into each of them made every load O(N^2).
    """

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        delta = dct.get("delta")
        task = super().from_dict({**dct, "delta": None}, workflow)
        if delta and task.parent is not None:
            deleted = set(delta.get("deletions", ()))
            data = {key: deepcopy(value) for key, value in task.parent.data.items() if key not in deleted}
            data.update(self.registry.restore(delta.get("updates", {})))
            task.data = data
        return task


class WorkingTreeConverter(BpmnWorkflowConverter):
    """The workflow without its spec (BOMS stores that once per version)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        pins = getattr(workflow.subprocess_specs, "pins", None)
        if pins:
            dct["boms_callees"] = dict(pins)  # see server/engine/callees.py
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        pins = getattr(subprocess_specs, "pins", None)
        if pins is not None:
            pins.update(dct.get("boms_callees", {}))
        workflow = BomsWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _boms_specs() -> dict[Any, Any]:
    """BOMS's spec subclasses convert as their SpiffWorkflow bases (version diffs compare specs as dicts)."""
    from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
    from SpiffWorkflow.bpmn.specs import defaults
    from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
        ErrorEventDefinition,
        EscalationEventDefinition,
    )

    from server.engine import bpmn_events, multi_instance, task_parsers

    pairs = {
        task_parsers.PassThroughTask: defaults.NoneTask,
        task_parsers.BomsCallActivity: defaults.CallActivity,
        bpmn_events.BomsEventSubprocess: defaults.EventSubprocess,
        multi_instance.BomsParallelMultiInstance: defaults.ParallelMultiInstanceTask,
        multi_instance.BomsSequentialMultiInstance: defaults.SequentialMultiInstanceTask,
        bpmn_events.BomsErrorEventDefinition: ErrorEventDefinition,
        bpmn_events.BomsEscalationEventDefinition: EscalationEventDefinition,
    }
    known = {**DEFAULT_CONFIG, **CAMUNDA_CONFIG}
    return {cls: known[base] for cls, base in pairs.items()}


_serializer = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **_boms_specs(), BpmnWorkflow: WorkingTreeConverter,
                                      Task: TaskDataConverter})
)
# Saved as "BpmnWorkflow", as before: states written earlier still load, and BomsWorkflow is all that loads.
_serializer.registry.typenames[BomsWorkflow] = "BpmnWorkflow"


def prune(workflow: Any) -> None:
    """Drop finished tasks nobody can need again (see the module docstring)."""
    tasks = workflow.tasks
    root = workflow.task_tree
    keep = {root.id}
    for task in tasks.values():
        # ERROR counts as unfinished here: a retry runs that task again.
        if not task.has_state(TaskState.COMPLETED | TaskState.CANCELLED):
            keep.add(task.id)
            if task.parent is not None:
                keep.add(task.parent.id)
    top = workflow.top_workflow
    keep.update(tid for tid in top.subprocesses if tid in tasks and not top.subprocesses[tid].completed)
    if len(keep) == len(tasks):
        return
    children: dict[UUID, list[UUID]] = {tid: [] for tid in keep}
    stack = [(root, root.id)]
    while stack:
        task, anchor = stack.pop()
        for child in task.children:
            if child.id in keep:
                children[anchor].append(child.id)
                child._parent = anchor
                stack.append((child, child.id))
            else:
                stack.append((child, anchor))
    for tid, kids in children.items():
        tasks[tid]._children = kids
    for tid in [tid for tid in tasks if tid not in keep]:
        del tasks[tid]
        if tid in top.subprocesses:
            del top.subprocesses[tid]
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None


@dataclass
class Saved:
    """What a save writes: the header (process_instance.state) and the chunk rows that changed."""

    header: str
    inserts: dict[str, str]  # chunk id -> body: new rows
    updates: dict[str, str]  # chunk id -> body: stored rows that changed
    deletes: set[str]  # chunk ids whose rows go
    replace_all: bool  # rows of unknown ids may exist: delete every row of the instance first
    stored: Stored  # what the database holds after this save


def _split(workflow: BpmnWorkflow) -> tuple[dict[str, Chunk], list[tuple[str, Any, dict[str, Chunk], dict[UUID, Any]]]]:
    found: dict[str, Chunk] = {}
    splits = []
    for key, wf in [(TOP, workflow), *((str(k), sub) for k, sub in workflow.subprocesses.items())]:
        chunks, parents = find_chunks(wf, key)
        if chunks:
            found.update(chunks)
            splits.append((key, wf, chunks, parents))
    return found, splits


def _header(workflow: BpmnWorkflow, splits: list[Any]) -> dict[str, Any]:
    """The serialized workflow without its chunks: the tasks dict and the split activities' children
    lists are swapped for the serializer and put back after."""
    swapped = []
    try:
        for _, wf, chunks, parents in splits:
            ids = {task.id for chunk in chunks.values() for task in chunk.tasks}
            kids = {pid: wf.tasks[pid]._children for pid in parents}
            swapped.append((wf, wf.tasks, kids))
            wf.tasks = {tid: task for tid, task in wf.tasks.items() if tid not in ids}
            for pid, (others, _) in parents.items():
                wf.tasks[pid]._children = others
        dct = _serializer.to_dict(workflow)
    finally:
        for wf, tasks, kids in swapped:
            wf.tasks = tasks
            for pid, children in kids.items():
                tasks[pid]._children = children
    for key, _, _, parents in splits:
        target = dct if key == TOP else dct["subprocesses"][key]
        for pid, (_, at) in parents.items():
            target["tasks"][str(pid)][CHUNK_AT] = at
    return dct


def dump_split(workflow: BpmnWorkflow, stored: Stored | None = None) -> Saved:
    """The pruned working tree, split (server/engine/state_chunks.py); `stored`: what the database holds
    (None: nothing, a new instance)."""
    for sub in list(workflow.subprocesses.values()):
        prune(sub)
    prune(workflow)
    found, splits = _split(workflow)
    dct = _header(workflow, splits)
    dct[_serializer.VERSION_KEY] = _serializer.VERSION
    # Every save changes the header, so a cached working set matches exactly one save (working_sets.py).
    workflow.boms_revision = getattr(workflow, "boms_revision", 0) + 1
    dct[REVISION], dct[CHUNK_COUNT] = workflow.boms_revision, len(found)
    # Task data is JSON from the API and JEXL results; str() covers the odd date a decision returns.
    header = json.dumps(dct, separators=(",", ":"), default=str)
    before = stored or Stored()
    after, inserts, updates = Stored(), {}, {}
    for chunk_id, chunk in found.items():
        old = before.chunks.get(chunk_id)
        if unchanged(chunk, old):
            after.chunks[chunk_id] = old
        else:
            body, after.chunks[chunk_id] = chunk_body(chunk, _serializer.registry)
            (inserts if old is None else updates)[chunk_id] = body
    deletes = {chunk_id for chunk_id in before.chunks if chunk_id not in found}
    return Saved(header, inserts, updates, deletes, not before.complete, after)


def chunk_count(dct: dict[str, Any]) -> int:
    """How many chunk rows a parsed header has (states saved before chunks: none)."""
    return int(dct.get(CHUNK_COUNT, 0))


def parse_header(state: str) -> dict[str, Any]:
    return json.loads(state)


def load_split(state: str | dict[str, Any], spec: Any, subprocess_specs: dict[str, Any], script_engine: Any,
               rows: list[tuple[str, str]] | None = None, complete: bool = True) -> tuple[BpmnWorkflow, Stored]:
    """The workflow of a header and its chunk rows; what is stored (`complete`: `rows` are all of them)."""
    dct = json.loads(state) if isinstance(state, str) else state
    stored = join(dct, rows or [])
    stored.complete = complete
    revision = dct.pop(REVISION, 0)
    dct.pop(CHUNK_COUNT, None)
    _serializer.migrate(dct)
    workflow = _serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    workflow.boms_revision = revision
    # The serializer re-registers waiting catch events only; an event-based gateway waits too.
    events = workflow.event_manager
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if getattr(task.task_spec, "event_definition", None) is not None and task.id not in events.tasks:
            events.add_task(task)
    return workflow, stored


def full_state(state: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    """The whole working tree as one dict (header and chunks joined), as states were saved before chunks."""
    dct = json.loads(state)
    join(dct, rows)
    dct.pop(CHUNK_COUNT, None)
    return dct


def dump(workflow: BpmnWorkflow) -> str:
    """The whole working tree as one text (what a state was before chunks; it loads as one still)."""
    saved = dump_split(workflow)
    if not saved.inserts:
        return saved.header
    return json.dumps(full_state(saved.header, list(saved.inserts.items())), separators=(",", ":"), default=str)


def load(state: str, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    """The workflow of a state saved whole (`dump`)."""
    return load_split(state, spec, subprocess_specs, script_engine)[0]


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], script_engine: Any,
                 variables: dict[str, Any]) -> BpmnWorkflow:
    workflow = BomsWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.task_tree.data.update(variables)
    return workflow


def describe_specs(*specs: Any) -> None:
    """Let the registry describe BOMS's own task spec classes (subclasses of SpiffWorkflow's) as their
    nearest described base, which is all SpiffWorkflow's version diff needs of them."""
    typenames = _serializer.registry.typenames
    for spec in specs:
        for task_spec in spec.task_specs.values():
            cls = task_spec.__class__
            if cls in typenames:
                continue
            base = next((b for b in cls.__mro__[1:] if b in typenames), None)
            if base is not None:
                typenames[cls] = typenames[base]


def registry() -> Any:
    """The serializer's converter registry (SpiffWorkflow's version diff compares specs through it)."""
    return _serializer.registry
