"""Task parsers registered with BomsParser: Camunda multi-instance, event sub-processes, call activities."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ManualTask,
    NoneTask,
    SendTask,
    ServiceTask,
    StartEvent,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CallActivityParser,
    CamundaTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.user_task import UserTask

from server.engine import bpmn_events as ev
from server.engine import juel_context
from server.engine.expression_tasks import ServiceTaskParser
from server.engine.multi_instance import BomsParallelMultiInstance, BomsSequentialMultiInstance
from server.expressions import ExpressionError, compile_expression

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_CALL_DEPTH = 16  # nested sub-processes and calls; a process that calls itself stops here


def _text(node: etree._Element, path: str) -> str | None:
    found = node.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _property(node: etree._Element, name: str) -> str | None:
    """A `camunda:property` of the element's extensionElements, or None."""
    for prop in node.findall(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"):
        if prop.get("name") == name and (prop.get("value") or "").strip():
            return prop.get("value").strip()
    return None


def _loop_input(parser: Any, loop: etree._Element) -> tuple[str | None, str | None]:
    """The collection and element variable: Camunda's attributes, or the standard `loopDataInputRef`
    (a variable name) with `inputDataItem` (its name or id), as SpiffArena writes them."""
    collection, element = loop.get(f"{{{CAMUNDA_NS}}}collection"), loop.get(f"{{{CAMUNDA_NS}}}elementVariable")
    reference = _text(loop, f"{{{BPMN_NS}}}loopDataInputRef")
    item = loop.find(f"{{{BPMN_NS}}}inputDataItem")
    item_name = (item.get("name") or item.get("id")) if item is not None else None
    if reference is not None and collection is not None:
        parser.raise_validation_exception("Give the collection once: camunda:collection or loopDataInputRef")
    if item_name is not None and element is not None and item_name != element:
        parser.raise_validation_exception(
            f"camunda:elementVariable '{element}' and inputDataItem '{item_name}' name different variables")
    if item_name is not None and reference is None and collection is None:
        parser.raise_validation_exception("inputDataItem needs a loopDataInputRef naming the collection")
    return collection if reference is None else reference, element or item_name


class MultiInstanceParsing:
    """Reads multiInstanceLoopCharacteristics into BOMS's multi-instance specs."""

    node: etree._Element
    spec: Any
    task: Any

    def _add_multiinstance_task(self, loop: etree._Element) -> None:
        collection, element_variable = _loop_input(self, loop)
        cardinality = _text(loop, f"{{{BPMN_NS}}}loopCardinality")
        if (collection is None) == (cardinality is None):
            self.raise_validation_exception(  # type: ignore[attr-defined]
                "A multi-instance activity needs exactly one of camunda:collection, loopDataInputRef or "
                "loopCardinality")
        for what, text in (("camunda:collection", collection), ("loopCardinality", cardinality)):
            if text is not None:
                try:
                    compile_expression(text)
                except ExpressionError as exc:
                    self.raise_validation_exception(f"{what} is not a valid expression: {exc}")  # type: ignore[attr-defined]
        output = loop.find(f"{{{BPMN_NS}}}outputDataItem")
        original = self.spec.task_specs.pop(self.task.name)
        cls = BomsSequentialMultiInstance if loop.get("isSequential") == "true" else BomsParallelMultiInstance
        self.task = cls(
            self.spec, original.name, "",
            collection=collection, element_variable=element_variable,
            cardinality=cardinality, condition=_text(loop, f"{{{BPMN_NS}}}completionCondition"),
            output_collection=_text(loop, f"{{{BPMN_NS}}}loopDataOutputRef"),
            output_item=(output.get("name") or output.get("id")) if output is not None else None,
            decision_variable=_property(self.node, "decisionVariable"),
            fallback_group=_property(self.node, "fallbackGroup"),
        )
        self._copy_task_attrs(original, loop)  # type: ignore[attr-defined]


class BomsUserTaskParser(MultiInstanceParsing, UserTaskParser):
    pass


class BomsTaskParser(MultiInstanceParsing, CamundaTaskParser):
    pass


class PassThroughTask(NoneTask):
    """`bpmn:task` without a type: Camunda runs it as a pass-through; SpiffWorkflow waited for a person."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class BomsSubprocessParser(MultiInstanceParsing, SubWorkflowParser):
    def create_task(self) -> Any:
        if self.node.get("triggeredByEvent") == "true":
            return ev.event_subprocess_task(self)
        return super().create_task()


class BomsCallActivity(CallActivity):
    """A call activity with Camunda's variable mappings; `spec` is `key` (latest) or `key@N` (version N).

    Without any `camunda:in`, nothing is passed in; without any `camunda:out`, nothing comes back
    (Camunda's rule; SpiffWorkflow copied everything both ways).
    """

    def __init__(self, wf_spec: Any, bpmn_id: str, subworkflow_spec: str, ins: list[dict[str, str]] | None = None,
                 outs: list[dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.ins = ins or []
        self.outs = outs or []

    def _update_hook(self, my_task: Any) -> Any:
        starting = my_task.workflow.top_workflow.subprocesses.get(my_task.id) is None
        if starting and my_task.workflow.depth >= MAX_CALL_DEPTH:
            raise WorkflowTaskException(
                f"calls nest more than {MAX_CALL_DEPTH} levels deep "
                f"(does '{self.spec}' call itself?)", task=my_task)
        return super()._update_hook(my_task)

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**deepcopy(_mapped(self.ins, my_task, self.bpmn_id)))

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        source = subworkflow.last_task
        values = _mapped(self.outs, source, self.bpmn_id) if source is not None else {}
        my_task.data.update(deepcopy(values))


def _mapped(mappings: list[dict[str, str]], task: Any, element: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for m in mappings:
        if m.get("variables") == "all":
            values.update(task.data)
        elif m.get("sourceExpression"):
            try:
                with juel_context.at(task):
                    values[m["target"]] = compile_expression(m["sourceExpression"]).evaluate(task.data)
            except ExpressionError as exc:
                raise WorkflowTaskException(f"camunda:in/out of '{element}': {exc}", task=task) from exc
        elif m.get("source") in task.data:
            values[m.get("target") or m["source"]] = task.data[m["source"]]
    return values


class BomsCallActivityParser(MultiInstanceParsing, CallActivityParser):
    def create_task(self) -> BomsCallActivity:
        called = SubprocessParser.get_call_activity_spec(self)
        binding = self.node.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest"
        if binding == "version":
            version = (self.node.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip()
            if not version.isdigit() or int(version) < 1:
                self.raise_validation_exception(
                    f"camunda:calledElementVersion must be a version number, not '{version}'")
            called = f"{called}@{int(version)}"
        elif binding != "latest":
            self.raise_validation_exception(
                f"camunda:calledElementBinding '{binding}' is not supported (use latest or version)")
        ext = f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}"
        ins = [dict(n.attrib) for n in self.node.findall(f"{ext}in")]
        outs = [dict(n.attrib) for n in self.node.findall(f"{ext}out")]
        for m in ins + outs:
            if m.get("sourceExpression"):
                try:
                    compile_expression(m["sourceExpression"])
                except ExpressionError as exc:
                    self.raise_validation_exception(f"camunda:in/out sourceExpression: {exc}")
            elif m.get("variables") != "all" and not m.get("source"):
                self.raise_validation_exception("camunda:in/out needs source, sourceExpression or variables=\"all\"")
        return BomsCallActivity(self.spec, self.bpmn_id, subworkflow_spec=called, ins=ins, outs=outs,
                                **self.bpmn_attributes)


def called_element(spec: Any) -> str | None:
    return spec.spec if isinstance(spec, BomsCallActivity) else None


BOMS_PARSERS = {
    full_tag("userTask"): (BomsUserTaskParser, UserTask),
    full_tag("task"): (BomsTaskParser, PassThroughTask),
    full_tag("manualTask"): (BomsTaskParser, ManualTask),
    full_tag("subProcess"): (BomsSubprocessParser, CallActivity),
    full_tag("callActivity"): (BomsCallActivityParser, BomsCallActivity),
    full_tag("startEvent"): (ev.StartEventParser, StartEvent),
    full_tag("endEvent"): (ev.EndEventParser, EndEvent),
    full_tag("intermediateCatchEvent"): (ev.IntermediateCatchEventParser, IntermediateCatchEvent),
    full_tag("intermediateThrowEvent"): (ev.IntermediateThrowEventParser, IntermediateThrowEvent),
    full_tag("boundaryEvent"): (ev.BoundaryEventParser, BoundaryEvent),
    full_tag("sendTask"): (ev.SendTaskParser, SendTask),
    full_tag("serviceTask"): (ServiceTaskParser, ServiceTask),
}
