"""Instance modification (Camunda 7's "process instance modification"): cancel active element(s) and
start before another element, keeping the variables.

Return (退回) is built on it, and admins use it to move a stuck token. SpiffWorkflow has no such
operation and BOMS prunes finished tasks from the tree (store.py), so the library's "reset to an
earlier task" cannot reach back: instead the active engine task is cancelled and a new task for the
target element is added beside it, under the same parent, with a copy of its data; the engine then
runs from there as if a flow had led into the target.

Only what can be moved safely is accepted: the target and the cancelled element must be in the same
(sub-)process, one token moves at a time, the target is an activity or event reached by a flow (not a
boundary or start event), and it is on the token's own branch or before the branches split, in which
case every branch is cancelled (server/engine/branches.py: anything else would leave a join waiting).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from server.engine.branches import move_scope
from server.engine.runner import Runner
from server.engine.step import Step, all_tasks
from server.errors import BadRequest, Conflict
from server.events import LIVE_STATUSES, EventKind
from server.models import ProcessInstance

UNFINISHED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# Elements a token can be placed in front of (a flow can lead into them).
MOVABLE_KINDS = {"userTask", "manualTask", "task", "serviceTask", "sendTask", "receiveTask", "scriptTask",
                 "businessRuleTask", "callActivity", "subProcess", "intermediateCatchEvent",
                 "intermediateThrowEvent", "endEvent", "exclusiveGateway", "inclusiveGateway"}

# Elements whose waiting task is not a token of its own (they wait on an activity, or start the process).
IN_PLACE = ("boundaryEvent", "startEvent")


def _inside(task: Any, token: Any) -> bool:
    """Whether `task` is the token's own (a child of its multi-instance, say): it goes with the token."""
    parent = task.parent
    while parent is not None:
        if parent is token:
            return True
        parent = parent.parent
    return False


def _token_task(task: Any) -> Any:
    """The engine task holding the token: a multi-instance child's token is its multi-instance parent."""
    parent = task.parent
    while parent is not None and parent.task_spec.bpmn_id == task.task_spec.bpmn_id \
            and parent.has_state(UNFINISHED):
        task, parent = parent, parent.parent
    return task


def _active(step: Step, element_id: str) -> list[Any]:
    tasks = [t for t in all_tasks(step.workflow)
             if t.task_spec.bpmn_id == element_id and t.has_state(UNFINISHED)]
    return list({id(t): t for t in (_token_task(t) for t in tasks)}.values())


def modify(runner: Runner, session: Session, instance: ProcessInstance, cancel: list[str], start_before: str,
           actor: str, kind: str = EventKind.INSTANCE_MODIFIED, **data: Any) -> Step:
    """Cancel the tokens in `cancel` (element ids), start one before `start_before`, run the engine."""
    if instance.status not in LIVE_STATUSES:
        raise Conflict(f"process instance '{instance.id}' is {instance.status}; only a running instance can be "
                       "modified")
    elements = instance.version.elements
    info = elements.get(start_before)
    if info is None:
        raise BadRequest(f"element '{start_before}' is not in process '{instance.process_key}'", field="startBefore")
    if info.get("kind") not in MOVABLE_KINDS:
        raise BadRequest(f"element '{start_before}' is a {info.get('kind')}; a token can only be placed before an "
                         "activity, a gateway or an intermediate or end event", field="startBefore")
    if not cancel:
        raise BadRequest("name the active element to cancel (one)", field="cancel")
    step = runner.load(session, instance, actor)
    tokens = [t for element in dict.fromkeys(cancel) for t in _active(step, element)]
    missing = [e for e in cancel if not _active(step, e)]
    if missing:
        raise BadRequest(f"element '{missing[0]}' is not active in process instance '{instance.id}'", field="cancel")
    if len(tokens) != 1:
        raise Conflict(f"process instance '{instance.id}' has {len(tokens)} active tokens at '{cancel[0]}'; "
                       "BOMS moves one token at a time", field="cancel")
    [token] = tokens
    target = token.workflow.spec.task_specs.get(_spec_name(token.workflow.spec, start_before))
    if target is None:
        raise BadRequest(f"element '{start_before}' is not in the same (sub-)process as '{cancel[0]}'",
                         field="startBefore")
    others = list({id(t): t for t in (_token_task(t) for t in all_tasks(step.workflow) if t.has_state(UNFINISHED)
                                      and t.task_spec.bpmn_id in elements and t.task_spec.bpmn_id != cancel[0]
                                      and elements[t.task_spec.bpmn_id].get("kind") not in IN_PLACE)}.values())
    others = [t for t in others if t is not token and not _inside(t, token)]
    scope = move_scope(elements, cancel[0], [t.task_spec.bpmn_id for t in others], start_before)
    if scope is None or (scope == "all" and any(t.workflow is not token.workflow for t in others)):
        where = ", ".join(sorted({t.task_spec.bpmn_id for t in others}))
        raise Conflict(f"element '{start_before}' is not on the branch of '{cancel[0]}' nor before the branches "
                       f"split{f' (active too: {where})' if where else ''}: a parallel join would wait for ever "
                       "for a branch that never comes; return to a step of the same branch, or to one before the "
                       "split (which cancels every branch)", field="startBefore")
    parent, variables = token.parent, dict(token.data)
    step.event(kind, element_id=start_before, cancelled=list(cancel), startBefore=start_before,
               **({"cancelledBranches": sorted({t.task_spec.bpmn_id for t in others})} if scope == "all" else {}),
               **data)
    for gone in [token, *(others if scope == "all" else [])]:
        for child in list(gone.children):
            child.cancel()
        gone.cancel()
        if gone is not token:
            # A branch's token waiting at a join would still count as arrived there: out of the tree
            # (its passage still ends: server/engine/passages.py).
            step.removed.append(gone)
            gone.workflow._remove_task(gone.id)
    moved = parent._add_child(target, TaskState.FUTURE)
    moved.data = variables

    def start() -> None:
        # Plan its way on (what its predecessor's completion would have done), then let it become ready.
        moved.task_spec._predict(moved, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        moved.task_spec._update(moved)

    runner.advance(step, first=start)
    return step


def _spec_name(spec: Any, element_id: str) -> str | None:
    return next((name for name, ts in spec.task_specs.items() if getattr(ts, "bpmn_id", None) == element_id
                 and not name.endswith(("_child", "[child]"))), None)
