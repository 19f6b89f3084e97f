"""Camunda 7 expression listeners: `camunda:executionListener` / `camunda:taskListener` with `expression`.

Run (compiled like every expression, never as Java or Python):
- execution listeners `start` and `end` on activities, gateways, start, end and throw events, and on the
  process itself; `start` runs when the element is entered, `end` after it completed (after output mappings);
- task listeners `create` (the user task became ready, before BOMS assigns it) and `complete` on user tasks.

The expression sees the variables, `execution` (readable as everywhere, plus `eventName`, and
`execution.setVariable(name, value)`) and, in task listeners, `task` (`id`, `name`, `taskDefinitionKey`,
`processInstanceId`, `eventName`, `assignee` in complete listeners: the user completing it, `execution`,
`getVariable`/`setVariable`). What does not run here is refused at deploy naming element, event and line:
scripts, Java (`class`, `delegateExpression`, `camunda:field`), `take` listeners on sequence flows, the
`start` of a catching event (it would run when the event arrives, not when it is entered), listeners on
multi-instance activities, and the `assignment`, `update`, `delete` and `timeout` task events (BOMS
assigns and reassigns outside the engine).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from server.engine import juel_context
from server.expressions import ExpressionError, compile_expression
from server.expressions.juel_values import ExecutionView

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CATCHING = frozenset({"intermediateCatchEvent", "boundaryEvent", "receiveTask"})
TASK_FIELDS = ("id", "name", "taskDefinitionKey", "processInstanceId", "eventName", "assignee", "execution")
_TASK_FIELD_RE = re.compile(r"(?<![\w$.|])task\s*\.\s*([A-Za-z_$][\w$]*)(?![\w$]|\s*\()")


class TaskView(ExecutionView):
    """`task` in a task listener: its fields, and the instance's variables through the same methods."""

    def __init__(self, variables: Any, fields: dict[str, Any]) -> None:
        super().__init__(variables, {}, writable=True)
        self._fields = {name: fields.get(name) for name in TASK_FIELDS}


def problem(node: etree._Element, owner: etree._Element) -> str | None:
    """Why this listener cannot run in BOMS, or None when it can."""
    kind, event = etree.QName(node).localname, node.get("event") or ""
    owner_kind = etree.QName(owner).localname
    what = f"camunda:{kind} (event '{event or '?'}')"
    if node.find(f"{{{CAMUNDA_NS}}}script") is not None:
        return f"{what} runs a script; scripts do not run in listeners here: use an expression listener"
    if node.get("class") or node.get("delegateExpression") or node.find(f"{{{CAMUNDA_NS}}}field") is not None:
        how = next((a for a in ("class", "delegateExpression") if node.get(a)), "camunda:field")
        return f"{what} calls Java code ({how}); model the step as a service task or an external task instead"
    expression = node.get("expression")
    if not expression:
        return f"{what} names nothing to run"
    if owner.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics") is not None:
        return f"{what}: listeners on multi-instance activities are not supported"
    if kind == "executionListener":
        if owner_kind == "sequenceFlow" or event == "take":
            return f"{what}: 'take' listeners on sequence flows are not supported; use a listener on an activity"
        if event not in ("start", "end"):
            return f"{what}: execution listeners run on 'start' and 'end'"
        if event == "start" and owner_kind in CATCHING:
            return f"{what}: a 'start' listener of a {owner_kind} is not supported (it would run only when the " \
                "event arrives); put it on the element before"
    else:
        if owner_kind != "userTask" or event not in ("create", "complete"):
            return f"{what}: task listeners run on user tasks for 'create' and 'complete' only (BOMS assigns, " \
                "reassigns and deletes tasks outside the engine)"
        for match in _TASK_FIELD_RE.finditer(expression):
            if match.group(1) not in TASK_FIELDS:
                return f"{what}: task has no field '{match.group(1)}' here (it has {', '.join(TASK_FIELDS)})"
            if match.group(1) == "assignee" and event == "create":
                return f"{what}: task.assignee is not known yet in a 'create' listener (BOMS assigns the task after)"
    try:
        compile_expression(expression)
    except ExpressionError as exc:
        return f"{what} is not a valid expression: {exc}"
    return None


def _run(workflow: Any, task: Any, kind: str, event: str, expression: str) -> None:
    with juel_context.at(task):
        _evaluate(task, kind, event, expression)


def _evaluate(task: Any, kind: str, event: str, expression: str) -> None:
    data = task.data
    execution = juel_context.execution(data, writable=True)
    context: dict[str, Any] = {**data}
    if execution is not None:
        execution._fields["eventName"] = event
        context["execution"] = execution
    if kind == "taskListener":
        actor = juel_context.actor() if event == "complete" else None
        context["task"] = TaskView(data, {
            "id": str(task.id), "name": task.task_spec.bpmn_name, "taskDefinitionKey": task.task_spec.bpmn_id,
            "processInstanceId": execution["processInstanceId"] if execution is not None else None,
            "eventName": event, "assignee": actor, "execution": execution})
    try:
        compile_expression(expression).evaluate(context)
    except ExpressionError as exc:
        raise WorkflowTaskException(f"camunda:{kind} (event '{event}'): {exc}", task=task, exception=exc) from exc


def attach(root: etree._Element, specs: list[Any]) -> None:
    """Connect the file's expression listeners to the parsed specs (checked at deploy by ``problem``)."""
    by_id: dict[str, list[Any]] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                by_id.setdefault(task_spec.bpmn_id, []).append(task_spec)
    # Camunda's order: execution `start` before task `create`; task `complete` before execution `end`.
    nodes = sorted(root.iter(f"{{{CAMUNDA_NS}}}executionListener", f"{{{CAMUNDA_NS}}}taskListener"), key=_later)
    for node in nodes:
        owner = node.getparent().getparent()
        kind, event, expression = etree.QName(node).localname, node.get("event"), node.get("expression")
        if etree.QName(owner).localname == "process":
            # The process starts when its start task completes (the variables are in by then), ends when End is ready.
            targets = [(spec.start.completed_event if event == "start" else spec.end.ready_event)
                       for spec in specs if spec.name == owner.get("id")]
        else:
            targets = [_hook(t, event) for t in by_id.get(owner.get("id"), [])[:1]]
        for hook in targets:
            hook.connect(partial(_run, kind=kind, event=event, expression=expression))  # one callback each


def _later(node: etree._Element) -> bool:
    return (etree.QName(node).localname == "taskListener") == (node.get("event") in ("start", "create"))


def _hook(task_spec: Any, event: str) -> Any:
    if event not in ("start", "create"):
        return task_spec.completed_event
    # A start event does not announce becoming ready (SpiffWorkflow's catching events); it runs at once.
    return task_spec.run_event if isinstance(task_spec, CatchingEvent) else task_spec.ready_event
