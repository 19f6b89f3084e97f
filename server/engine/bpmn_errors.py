"""A BPMN error reported for a waiting service task (Camunda's external-task `bpmnError`).

The error is thrown from the task as if the task had raised it: an error boundary event on it (or on
an enclosing sub-process) with that code, or without a code, catches it and the flow goes on there.
When nothing catches it the instance gets an incident naming the code; Camunda 7 would end the
branch silently, which is exactly what BOMS does not do.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from server.engine.runner import Runner, require_running
from server.errors import Conflict, EngineError
from server.events import EventKind
from server.models import ProcessInstance


def _in_scope(catcher: Any, task: Any) -> bool:
    """Whether a waiting error catcher is on the task or one of the sub-processes around it."""
    scopes = []
    workflow = task.workflow
    while workflow is not None:
        scopes.append(workflow)
        workflow = getattr(workflow, "parent_workflow", None)
    return catcher.workflow in scopes


def _catcher(task: Any, code: str) -> Any | None:
    manager = task.workflow.top_workflow.event_manager
    for waiting in manager.tasks.values():
        definition = getattr(waiting.task_spec, "event_definition", None)
        if isinstance(definition, ErrorEventDefinition) and definition.code in (None, "", code) \
                and _in_scope(waiting, task):
            return definition
    return None


def throw_bpmn_error(runner: Runner, session: Session, instance: ProcessInstance, task_id: str, code: str,
                     message: str | None, variables: dict[str, Any], actor: str) -> bool:
    """Throw error `code` from service task `task_id`; False (and an incident) when nothing catches it."""
    require_running(instance)
    step = runner.load(session, instance, actor)
    engine_task = step.workflow.get_task_from_id(UUID(task_id))
    if engine_task is None or engine_task.state != TaskState.STARTED:
        raise Conflict(f"service task '{task_id}' is no longer waiting for its result")
    element = engine_task.task_spec.bpmn_id
    step.event(EventKind.EXTERNAL_TASK_ERROR, task_id=task_id, element_id=element, errorCode=code,
               message=message, variables=variables)
    catcher = _catcher(engine_task, code)
    if catcher is None:
        step.incident(EngineError(f"BPMN error '{code}' from '{element}' is caught by no error event"
                                  + (f": {message}" if message else ""), element=element), task_id)
        runner.save(step)
        return False
    engine_task.data.update(variables)
    thrown = copy.copy(catcher)  # catching compares definition classes, so throw the catcher's own kind
    thrown.code, thrown.name = code, code

    def throw() -> None:
        for parent in (engine_task.parent, *_boundary_splits(engine_task)):
            parent.data.update(variables)  # the boundary path continues with the parent's data
        engine_task.workflow.top_workflow.catch(BpmnEvent(thrown, payload=dict(variables),
                                                          target=engine_task.workflow))

    runner.advance(step, first=throw)
    return True


def _boundary_splits(task: Any) -> list[Any]:
    return [t for t in task.parent.children if t is not task] if task.parent is not None else []
