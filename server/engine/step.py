"""One action on one instance: its session, loaded engine state, actor and the events it produces."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine.cache import LoadedVersion
from server.errors import EngineError
from server.events import EventKind, InstanceStatus
from server.models import ProcessInstance

logger = logging.getLogger(__name__)

# Where a task keeps when its token entered it (ISO time, in the saved engine state): server/engine/passages.py.
ENTERED = "boms_entered"

# Not only SpiffWorkflow's own errors (its timer parsers raise a bare Exception): whatever a model makes
# the engine raise is an incident on that model's instance, never a server error.
ENGINE_FAILURES = (Exception,)


@dataclass
class Step:
    session: Session
    instance: ProcessInstance
    loaded: LoadedVersion
    workflow: Any
    actor: str
    new: bool = False  # a just-started instance: it has no rows yet, so there is nothing to look up
    stored: Any = None  # what the database holds of the engine state (store.Stored; None: nothing yet)
    # Only tasks whose state changed can need a human_task row created or cancelled (human_tasks.py):
    # set by the actions that just run the engine (a completion, a timer, a message).
    touched_only: bool = False
    subprocesses: set[Any] = field(default_factory=set)  # the sub-workflows there were when it loaded
    received: bool = False  # a message or signal was delivered: its variables are merged after the run

    started: float = field(default_factory=time.time)
    events: list[Event] = field(default_factory=list)
    # Unfinished tasks loaded without an entry time: they were entered before passages were recorded,
    # so their passage is unknown and none is written (server/engine/passages.py).
    unrecorded: frozenset[Any] = frozenset()
    # Tasks an operation took out of the tree (instance modification): their open passages still end here.
    removed: list[Any] = field(default_factory=list)
    # User tasks that may have a human_task row already: every one the engine had reached when the step
    # loaded (or that carries an entry time: a re-predicted task keeps it). A user task only planned then
    # (MAYBE, LIKELY, FUTURE) was never READY, so no step wrote its row: human_tasks.py looks up none.
    reached: frozenset[Any] = frozenset()

    def __post_init__(self) -> None:
        self.subprocesses = set(self.workflow.subprocesses)
        if not self.new:
            live = int(TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)
            planned = int(TaskState.MAYBE | TaskState.LIKELY | TaskState.FUTURE)
            unrecorded, reached = [], []
            # One pass with the state bits read inline: it runs over every open sibling of a multi-instance.
            for t in all_tasks(self.workflow):
                state, entered = t._state, ENTERED in t.internal_data
                if state & live and not entered:
                    unrecorded.append(t.id)
                if t.task_spec.manual and (entered or not state & planned):
                    reached.append(t.id)
            self.unrecorded, self.reached = frozenset(unrecorded), frozenset(reached)

    def event(self, kind: str, task_id: str | None = None, element_id: str | None = None, **data: Any) -> None:
        self.events.append(Event(kind=kind, actor=self.actor, instance_id=self.instance.id,
                                 task_id=task_id, element_id=element_id, data=data))

    def incident(self, error: EngineError, task_id: str | None = None) -> None:
        """Put the instance into `error`: the state up to the failing element is kept, a retry resumes it."""
        element = error.details.get("element")
        self.instance.status = InstanceStatus.ERROR
        self.instance.error = {"element": element, "message": error.message, "taskId": task_id,
                               "at": utcnow().isoformat()}
        self.event(EventKind.INCIDENT_CREATED, task_id=task_id, element_id=element, message=error.message)


def _failing_task(exc: Exception) -> Any:
    """The engine task being worked on when `exc` was raised.

    SpiffWorkflow's own errors carry it; others (a bad timer value raises a bare Exception while the
    event is being reached) do not, so take the innermost frame that had a task in hand.
    """
    task = getattr(exc, "task", None)
    if task is not None:
        return task
    trace = exc.__traceback__
    while trace is not None:
        for name in ("my_task", "task"):
            candidate = trace.tb_frame.f_locals.get(name)
            if hasattr(candidate, "task_spec") and hasattr(candidate, "internal_data"):
                task = candidate
        trace = trace.tb_next
    return task


def engine_error(exc: Exception) -> EngineError:
    task = _failing_task(exc)
    spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
    element = getattr(spec, "bpmn_id", None)
    notes = "; ".join(getattr(exc, "notes", None) or getattr(exc, "__notes__", None) or [])
    if not isinstance(exc, SpiffWorkflowException):
        logger.exception("the engine failed on element %s", element)
    message = f"element '{element}': {exc}" if element else str(exc)
    return EngineError(message + (f" ({notes})" if notes else ""), element=element)


def failed_task_id(exc: Exception) -> str | None:
    task = _failing_task(exc)
    return str(task.id) if task is not None else None


def all_tasks(workflow: Any) -> list[Any]:
    """The tasks of a workflow and of its sub-workflows (called and embedded processes)."""
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks
