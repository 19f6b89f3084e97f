"""Pruning the working tree before a save: finished tasks nobody can need again go (server/engine/store.py).

SpiffWorkflow keeps every completed task in its tree. BOMS keeps unfinished tasks, their parents (joins
look at a task's parent to see which incoming flow completed) and the root; each kept task is re-linked
to its nearest kept ancestor, so ancestry among kept tasks is unchanged.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

_DONE = TaskState.COMPLETED | TaskState.CANCELLED


def _drop_leaves(workflow: Any) -> bool:
    """The usual prune in time linear in what it drops: finished tasks without children (a completed
    multi-instance instance). False when something else is to drop (then the whole tree is walked)."""
    tasks, root, top = workflow.tasks, workflow.task_tree, workflow.top_workflow
    # ERROR counts as unfinished here: a retry runs that task again.
    finished = [task for task in tasks.values() if task._state & _DONE and task is not root]
    if not finished:
        return True
    live = {tid for tid, sub in top.subprocesses.items() if not sub.completed}
    drop = [task for task in finished if task.id not in live
            and not any(not tasks[c]._state & _DONE for c in task._children)]
    if any(task._children for task in drop):
        return False
    for task in drop:
        parent = tasks.get(task._parent)
        if parent is None:
            pass
        elif parent._children and parent._children[0] == task.id:
            del parent._children[0]  # instances finishing in the order they were made
        else:  # by the id's int: list.remove compares UUIDs in Python, one call per sibling before it
            gone = task.id.int
            parent._children[:] = [c for c in parent._children if c.int != gone]
        del tasks[task.id]
        top.subprocesses.pop(task.id, None)
        if workflow.last_task is task:
            workflow.last_task = None
    return True


def prune(workflow: Any) -> bool:
    """Drop finished tasks nobody can need again (see the module docstring); False when tasks were re-linked."""
    if _drop_leaves(workflow):
        return True
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
        return True
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
    return False
