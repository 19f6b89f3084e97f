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

from server.engine.prune import prune
from server.engine.state_chunks import CHUNK_AT, TOP, Chunk, Run, Stored, chunk_body, find_chunks, join, unchanged

REVISION = "boms_revision"
CHUNK_COUNT = "boms_chunks"


class BomsWorkflow(BpmnWorkflow):
    """SpiffWorkflow's workflow, with waiting tasks found without walking the whole tree.

    After every task completion the library walks the task tree to update WAITING tasks, so a
    step that completes N tasks (a multi-instance of N items) costs O(N^2) tree steps; the dict of
    tasks is a flat list of the same tasks (in creation order: parents before children).
    """

    def get_tasks(self, first_task: Any = None, **kwargs: Any) -> list[Any]:
        """READY tasks without the tree walk when their order cannot matter.

        Each engine round asks for the READY tasks and runs the automatic ones in tree order; the walk
        (and its list of a thousand siblings, popped from the front) cost O(N^2) per round. With at most
        one automatic task READY the order is moot, so a scan of the flat dict answers.
        """
        if first_task is None and kwargs.keys() == {"state"} and kwargs["state"] == TaskState.READY:
            ready = [task for task in self.tasks.values() if task._state == TaskState.READY]
            if sum(1 for task in ready if not task.task_spec.manual) <= 1:
                return ready
        return super().get_tasks(first_task, **kwargs)

    def is_completed(self) -> bool:
        # The library walks the tree to its first unfinished task, listing a thousand siblings on the way.
        if not self.completed:
            unfinished = int(TaskState.NOT_FINISHED_MASK)
            self.completed = not any(task._state & unfinished for task in self.tasks.values())
        return self.completed

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


@dataclass
class Saved:
    """What a save writes: the header (process_instance.state) and the chunk rows that changed."""

    header: str
    inserts: dict[int, str]  # chunk id (its int) -> body: new rows
    updates: dict[int, str]  # chunk id -> body: stored rows that changed
    deletes: set[int]  # chunk ids whose rows go
    replace_all: bool  # rows of unknown ids may exist: delete every row of the instance first
    stored: Stored  # what the database holds after this save


# workflow key, workflow, the tasks in its chunks, its split activities, their runs of instances
Split = tuple[str, Any, set[Any], dict[UUID, Any], list[Run]]


def _split(workflow: BpmnWorkflow) -> list[Split]:
    splits = []
    for key, wf in [(TOP, workflow), *((str(k), sub) for k, sub in workflow.subprocesses.items())]:
        skip: set[Any] = set()
        runs, parents = find_chunks(wf, skip)
        if runs:
            splits.append((key, wf, skip, parents, runs))
    return splits


class _HeaderTasks:
    """A workflow's tasks as the serializer sees them while the header is written: without the chunks'.

    A view, not a new dict: building one would hash every task id (a Python-level UUID hash) per save.
    """

    def __init__(self, tasks: dict[UUID, Any], skip: set[Any]) -> None:
        self._tasks, self._skip = tasks, skip

    def items(self) -> Any:
        skip = self._skip
        return [(tid, task) for tid, task in self._tasks.items() if task not in skip]

    def values(self) -> list[Any]:
        return [task for _, task in self.items()]

    def get(self, tid: UUID, default: Any = None) -> Any:
        return self._tasks.get(tid, default)

    def __getitem__(self, tid: UUID) -> Any:
        return self._tasks[tid]

    def __contains__(self, tid: object) -> bool:
        return tid in self._tasks

    def __iter__(self) -> Any:
        return iter(tid for tid, _ in self.items())

    def __len__(self) -> int:
        return len(self._tasks) - len(self._skip)


def _header(workflow: BpmnWorkflow, splits: list[Any]) -> dict[str, Any]:
    """The serialized workflow without its chunks: the tasks and the split activities' children lists
    are swapped for the serializer and put back after."""
    swapped = []
    try:
        for _, wf, skip, parents, _ in splits:
            kids = {pid: wf.tasks[pid]._children for pid in parents}
            swapped.append((wf, wf.tasks, kids))
            for pid, (others, _) in parents.items():
                wf.tasks[pid]._children = others
            wf.tasks = _HeaderTasks(wf.tasks, skip)
        dct = _serializer.to_dict(workflow)
    finally:
        for wf, tasks, kids in swapped:
            wf.tasks = tasks
            for pid, children in kids.items():
                tasks[pid]._children = children
    for key, _, _, parents, _ in splits:
        target = dct if key == TOP else dct["subprocesses"][key]
        for pid, (_, at) in parents.items():
            target["tasks"][str(pid)][CHUNK_AT] = at
    return dct


def dump_split(workflow: BpmnWorkflow, stored: Stored | None = None, since: float | None = None) -> Saved:
    """The pruned working tree, split (server/engine/state_chunks.py); `stored`: what the database holds
    (None: nothing, a new instance); `since`: the start of a step that only ran the engine (state_chunks.unchanged)."""
    leaves_only = all([prune(sub) for sub in list(workflow.subprocesses.values())] + [prune(workflow)])
    if not leaves_only:
        since = None  # tasks were re-linked: compare every chunk
    splits = _split(workflow)
    dct = _header(workflow, splits)
    dct[_serializer.VERSION_KEY] = _serializer.VERSION
    # Every save changes the header, so a cached working set matches exactly one save (working_sets.py).
    workflow.boms_revision = getattr(workflow, "boms_revision", 0) + 1
    dct[REVISION], dct[CHUNK_COUNT] = workflow.boms_revision, sum(len(run) for *_, runs in splits for _, run, _ in runs)
    # Task data is JSON from the API and JEXL results; str() covers the odd date a decision returns.
    header = json.dumps(dct, separators=(",", ":"), default=str)
    before = stored or Stored()
    after, inserts, updates = Stored(), {}, {}
    before_chunks, after_chunks = before.chunks, after.chunks
    for key, wf, _, _, runs in splits:
        for parent_id, run, seqs in runs:
            for root, seq in zip(run, seqs, strict=True):
                chunk_id = root.id.int
                old = before_chunks.get(chunk_id)
                # A single-task chunk a step that only ran the engine left alone (state_chunks.unchanged),
                # inline: this runs once per open sibling.
                if since is not None and old is not None and not root._children and len(old) == 1 \
                        and root.last_state_change < since and root._state == old[0][1]:
                    after_chunks[chunk_id] = old
                    continue
                chunk = Chunk(key, parent_id, seq, root)
                if unchanged(chunk, old, wf.tasks, since):
                    after_chunks[chunk_id] = old
                    continue
                body, after_chunks[chunk_id] = chunk_body(chunk, wf.tasks, _serializer.registry)
                (inserts if old is None else updates)[chunk_id] = body
    deletes = {chunk_id for chunk_id in before_chunks if chunk_id not in after_chunks}
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
    rows = [(str(UUID(int=chunk_id)), body) for chunk_id, body in saved.inserts.items()]
    return json.dumps(full_state(saved.header, rows), separators=(",", ":"), default=str)


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
