"""Errors, escalations and event sub-processes, corrected where SpiffWorkflow 3.2 gets them wrong.

- A catch-all error or escalation event (no errorRef/escalationRef) fires together with a
  specific one that matches the code. BPMN says the specific one wins; here the catch-all catches
  only when nothing in the same scope catches the code.
- The Camunda parser ignores `triggeredByEvent`, and start events ignore error and escalation
  definitions: an event sub-process became an ordinary sub-process that started with its parent.
- An interrupting event sub-process started without interrupting anything. Starting one now
  cancels the rest of its scope (open user tasks included), as BPMN requires.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.event_parsers import SendTaskParser as BpmnSendTaskParser
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, EventSubprocess, ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaEventDefinitionParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.util.task import TaskState

from server.engine.expression_tasks import expression_task
from server.engine.implementations import implementation

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class _SpecificCodeFirst:
    """For a definition without a code: catch only if no sibling catcher names the thrown code."""

    code: str | None

    def catches(self, my_task: Any, event: Any) -> bool:
        if not super().catches(my_task, event):  # type: ignore[misc]
            return False
        if self.code is not None:
            return True
        thrown = event.event_definition.code
        for other in my_task.workflow.top_workflow.event_manager.tasks.values():
            if other is my_task or other.workflow is not my_task.workflow:
                continue
            definition = getattr(other.task_spec, "event_definition", None)
            if type(definition) is type(self) and definition.code is not None and definition.code == thrown:
                return False
        return True


class BomsErrorEventDefinition(_SpecificCodeFirst, ErrorEventDefinition):
    pass


class BomsEscalationEventDefinition(_SpecificCodeFirst, EscalationEventDefinition):
    pass


class _CodeEvents:
    def parse_error_event(self, node: etree._Element) -> BomsErrorEventDefinition:
        parsed = super().parse_error_event(node)  # type: ignore[misc]
        return BomsErrorEventDefinition(parsed.name, parsed.code, description=parsed.description)

    def parse_escalation_event(self, node: etree._Element) -> BomsEscalationEventDefinition:
        parsed = super().parse_escalation_event(node)  # type: ignore[misc]
        return BomsEscalationEventDefinition(parsed.name, parsed.code, description=parsed.description)


class StartEventParser(_CodeEvents, CamundaStartEventParser):
    # SpiffWorkflow's start events ignore error and escalation definitions, so an event sub-process
    # started by one became a none start: it ran as soon as its parent started.
    def create_task(self) -> Any:
        definition = self.get_event_definition([MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH,
                                                CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH])
        task = self._create_task(definition)
        self.spec.start.connect(task)
        return task


class ServiceEndEvent(ServiceTask, EndEvent):
    """A message end event with a Camunda implementation: it runs like a service task (the worker
    calls its connector) and then ends its path; it throws no message, as in Camunda."""


class EndEventParser(_CodeEvents, CamundaEndEventParser):
    def create_task(self) -> Any:
        if implementation(self.node) is None:
            return super().create_task()
        task = ServiceEndEvent(self.spec, self.bpmn_id, event_definition=NoneEventDefinition(),
                               **self.bpmn_attributes)
        task.connect(self.spec.end)
        return task


class IntermediateCatchEventParser(_CodeEvents, CamundaIntermediateCatchEventParser):
    pass


class IntermediateThrowEventParser(_CodeEvents, CamundaIntermediateThrowEventParser):
    def create_task(self) -> Any:
        if implementation(self.node) is None:
            return super().create_task()
        return ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class SendTaskParser(CamundaEventDefinitionParser, BpmnSendTaskParser):
    """A send task with a Camunda implementation is a service task; without one it throws its message."""

    def create_task(self) -> Any:
        if implementation(self.node) is None:
            return BpmnSendTaskParser.create_task(self)
        return expression_task(self) or ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class BoundaryEventParser(_CodeEvents, CamundaBoundaryEventParser):
    pass


class BomsEventSubprocess(EventSubprocess):
    """An event sub-process; `interrupting` comes from its start event's isInterrupting."""

    def __init__(self, wf_spec: Any, bpmn_id: str, subworkflow_spec: str, interrupting: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.interrupting = interrupting

    def _update_hook(self, my_task: Any) -> Any:
        starting = my_task.workflow.top_workflow.subprocesses.get(my_task.id) is None
        if starting and self.interrupting:
            interrupt_scope(my_task)
        return super()._update_hook(my_task)


def interrupt_scope(my_task: Any) -> None:
    """Cancel every unfinished task of the event sub-process's scope except its own line."""
    own = set()
    task = my_task
    while task is not None:
        own.add(task.id)
        task = task.parent
    workflow = my_task.workflow
    for task in list(workflow.tasks.values()):
        if task.id in own or task.has_state(TaskState.FINISHED_MASK):
            continue
        parent = task.parent
        if parent is not None and parent.id not in own and not parent.has_state(TaskState.FINISHED_MASK):
            continue  # cancelled with its parent
        task.cancel()


def event_subprocess_task(parser: Any) -> BomsEventSubprocess:
    """Build the spec of a `subProcess triggeredByEvent="true"` for a task parser."""
    subworkflow_spec = SubprocessParser.get_subprocess_spec(parser)
    starts = parser.node.findall(f"{{{BPMN_NS}}}startEvent")
    interrupting = not starts or starts[0].get("isInterrupting", "true") != "false"
    return BomsEventSubprocess(parser.spec, parser.bpmn_id, subworkflow_spec=subworkflow_spec,
                               interrupting=interrupting, **parser.bpmn_attributes)


def event_subprocess_starts(workflow: Any) -> list[tuple[Any, Any]]:
    """(event sub-process spec name, start event spec) of the process's event sub-processes."""
    found = []
    for name in getattr(workflow.spec.start, "trigger_specs", []):
        sub_spec = workflow.subprocess_specs.get(name)
        for start in getattr(sub_spec, "bpmn_start_events", []) if sub_spec is not None else []:
            found.append((name, start))
    return found


def listening_starts(workflow: Any) -> list[Any]:
    """Start events of event sub-processes that listen now: the process scope is active, and an
    interrupting one has not started already (it ended the scope it interrupted)."""
    if workflow.is_completed():
        return []
    running = {task.task_spec.name for task in workflow.get_tasks()
               if isinstance(task.task_spec, BomsEventSubprocess)
               and not task.has_state(TaskState.FINISHED_MASK | TaskState.PREDICTED_MASK)}
    listening = []
    for name, start in event_subprocess_starts(workflow):
        owner = workflow.spec.task_specs.get(name)
        if isinstance(owner, BomsEventSubprocess) and owner.interrupting and name in running:
            continue
        listening.append(start)
    return listening
