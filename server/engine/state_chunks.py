"""A parallel multi-instance's instances stored apart from the rest of the engine state, one row each.

Saving the whole working tree per step made one completion of a multi-instance of N items cost O(N):
every sibling was serialized, written and read again. Here the instances of every parallel
multi-instance (each with the tasks below it: its "chunk") are taken out of the serialized tree and
stored as rows of instance_state_chunk; `process_instance.state` keeps the rest (the "header"). A
save rewrites only the chunks that changed since they were stored, and deletes those that left the
tree; together with a working set kept between steps (server/engine/working_sets.py) a completion
neither reads nor writes its siblings.

- A chunk's tasks carry their full data, not SpiffWorkflow's delta from the parent: the parent's
  data (the activity's counters and output collection) changes with every completion, and a delta
  would change with it in every sibling.
- The activity's task lists its other children only, and where the instances sit among them
  (`boms_chunk_at`); the instances go back in order of their loop index. An activity whose
  instances are not one run in index order is not split (never the case for BOMS's own).
- Whether a stored chunk changed is decided by comparing its tasks with what was stored
  (state, links, internal data, data): nothing that changes a task can go unseen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask

CHUNK_AT = "boms_chunk_at"
TOP = ""  # the chunk's workflow: the instance's own (or the id of the sub-process task that runs it)

# What decides whether a stored task changed: id, state, last_state_change, triggered, parent, children,
# internal data, data (all but the ids as they were stored, i.e. after conversion).
Signature = tuple[UUID, int, float, bool, UUID | None, list[UUID], Any, Any]


@dataclass(slots=True)
class Chunk:
    workflow: str
    parent: UUID
    seq: int
    root: Any  # the instance's task
    tasks: list[Any] | None = None  # it and the tasks below it (parents first): see `subtree`

    def subtree(self, tasks: dict[UUID, Any]) -> list[Any]:
        if self.tasks is None:
            self.tasks = _subtree(tasks, self.root) if self.root._children else [self.root]
        return self.tasks


@dataclass
class Stored:
    """What is in the database for one instance: chunk id -> signatures of its tasks."""

    # Keyed by the task id's int: hashing a UUID runs Python code, and a save looks up every chunk.
    chunks: dict[int, list[Signature]] = field(default_factory=dict)
    complete: bool = True  # False: rows of unknown ids may exist (replace them all on the next save)


def _subtree(tasks: dict[UUID, Any], root: Any) -> list[Any]:
    found, stack = [], [root]
    while stack:
        task = stack.pop()
        found.append(task)
        stack.extend(tasks[c] for c in reversed(task._children))
    return found


# A split activity: its id, its instances' tasks in order, their loop indexes.
Run = tuple[UUID, list[Any], list[int]]


def find_chunks(workflow: Any, skip: set[Any]) -> tuple[list[Run], dict[UUID, tuple[list[UUID], int]]]:
    """The split activities of one workflow, and per activity: its other children, where its instances sit.
    Every task of a chunk is added to `skip` (the header leaves them out). No object per instance: a save
    runs this over every open sibling, and garbage from it made the collector walk the whole heap."""
    tasks = workflow.tasks
    runs: list[Run] = []
    parents: dict[UUID, tuple[list[UUID], int]] = {}
    for task in tasks.values():
        spec = task.task_spec
        if not task._children or not isinstance(spec, ParallelMultiInstanceTask):
            continue
        inner, kids = spec.task_spec, [tasks[k] for k in task._children]
        flags = [kid.task_spec.name == inner for kid in kids]
        if True not in flags:
            continue
        first = flags.index(True)
        last = len(flags) - 1 - flags[::-1].index(True)
        run = kids[first:last + 1]
        seqs = [child.internal_data.get("key_or_index") for child in run]
        # (map and sorted run in C: this looks at every open sibling on every save)
        if not all(flags[first:last + 1]) or not all(map(isinstance, seqs, repeat(int))) \
                or seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            continue  # not one run in index order: kept in the header
        parents[task.id] = (task._children[:first] + task._children[last + 1:], first)
        runs.append((task.id, run, seqs))
        skip.update(run)
        for child in run:
            if child._children:
                skip.update(_subtree(tasks, child))
    return runs, parents


def signature(task: Any, internal: Any, data: Any) -> Signature:
    return (task.id, task._state, task.last_state_change, task.triggered, task._parent, list(task._children),
            internal, data)


def unchanged(chunk: Chunk, stored: list[Signature] | None, tasks: dict[UUID, Any], since: float | None) -> bool:
    """Whether the chunk is as stored. `since`: the start of a step that only ran the engine, which changes
    the state of every task it changes; a single-task chunk whose state it left alone is as stored."""
    if stored is None:
        return False
    root = chunk.root
    if since is not None and len(stored) == 1 and not root._children:  # (dump_split has this inline too)
        return root.last_state_change < since and root._state == stored[0][1]
    found = chunk.subtree(tasks)
    if len(stored) != len(found):
        return False
    for task, (tid, state, changed, triggered, parent, children, internal, data) in zip(found, stored,
                                                                                        strict=True):
        if (task.id != tid or task._state != state or task.last_state_change != changed
                or task.triggered != triggered or task._parent != parent or task._children != children
                or task.internal_data != internal or task.data != data):
            return False
    return True


def chunk_body(chunk: Chunk, tasks: dict[UUID, Any], registry: Any) -> tuple[str, list[Signature]]:
    """The row's text, and the signatures of what it stores."""
    rows, signatures = {}, []
    for task in chunk.subtree(tasks):
        internal, data = registry.convert(task.internal_data), registry.convert(task.data)
        rows[str(task.id)] = {
            "id": str(task.id), "parent": str(task._parent) if task._parent is not None else None,
            "children": [str(c) for c in task._children], "last_state_change": task.last_state_change,
            "state": task._state, "task_spec": task.task_spec.name, "triggered": task.triggered,
            "internal_data": internal, "data": data, "delta": {}, "typename": registry.typenames[type(task)],
        }
        signatures.append(signature(task, internal, data))
    body = {"workflow": chunk.workflow, "parent": str(chunk.parent), "seq": chunk.seq, "tasks": rows}
    # json.dumps copies nothing: the signatures keep the converted values, which no task shares.
    return json.dumps(body, separators=(",", ":"), default=str), signatures


def join(dct: dict[str, Any], rows: list[tuple[str, str]]) -> Stored:
    """Put the chunk rows back into the header's dict (in place); what is stored, for the next save."""
    stored = Stored()
    placed: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for chunk_id, text in rows:
        body = json.loads(text)
        target = dct if body["workflow"] == TOP else dct["subprocesses"][body["workflow"]]
        signatures = []
        for tid, task in body["tasks"].items():
            target["tasks"][tid] = task
            signatures.append((UUID(tid), task["state"], task["last_state_change"], task["triggered"],
                               UUID(task["parent"]) if task["parent"] else None,
                               [UUID(c) for c in task["children"]], task["internal_data"], task["data"]))
        placed.setdefault((body["workflow"], body["parent"]), []).append((body["seq"], chunk_id))
        stored.chunks[UUID(chunk_id).int] = signatures
    for (key, parent), kids in placed.items():
        target = dct if key == TOP else dct["subprocesses"][key]
        parent_dct = target["tasks"][parent]
        at = parent_dct.pop(CHUNK_AT, len(parent_dct["children"]))
        parent_dct["children"][at:at] = [chunk_id for _, chunk_id in sorted(kids)]
    for target in (dct, *dct.get("subprocesses", {}).values()):
        for task in target.get("tasks", {}).values():
            task.pop(CHUNK_AT, None)  # an activity whose instances all left since
    return stored
