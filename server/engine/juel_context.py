"""What Camunda 7 expressions read about the running instance: `execution`, `currentUser()`.

The runner binds the instance of the current step (``bound(step)``) around each engine run, as it
binds the people directory; the expression layer asks for `execution` only when an expression names
it and the variables do not (server.expressions.juel_values.register_implicit). Outside a step (a rule
condition) there is no execution and the name is an unknown variable, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from server.engine import directory
from server.expressions import register_function
from server.expressions.juel_values import NOT_KNOWN, ExecutionView, register_implicit

_current: ContextVar[dict[str, Any] | None] = ContextVar("boms_execution", default=None)
_activity: ContextVar[dict[str, Any] | None] = ContextVar("boms_activity", default=None)


@contextmanager
def bound(instance: Any, actor: str) -> Iterator[None]:
    version = instance.version
    fields = {"id": instance.id, "processInstanceId": instance.id, "processBusinessKey": instance.business_key,
              "businessKey": instance.business_key, "processDefinitionKey": instance.process_key,
              # engine-rest's definition id (server.services.camunda_engine.definition_id)
              "processDefinitionId": f"{version.key}:{version.version}:{version.id}" if version else None,
              "actor": actor}
    token = _current.set(fields)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def at(task: Any) -> Iterator[None]:
    """`execution.currentActivityId` (and `activityId`, `currentActivityName`) is `task`'s element while
    expressions of that task are evaluated."""
    spec = task.task_spec  # the process's own Start/End tasks (process listeners) have no element: null
    element = getattr(spec, "bpmn_id", None)
    token = _activity.set({"currentActivityId": element, "activityId": element,
                           "currentActivityName": getattr(spec, "bpmn_name", None)})
    try:
        yield
    finally:
        _activity.reset(token)


def execution(variables: MutableMapping[str, Any], writable: bool = False) -> ExecutionView | None:
    fields = _current.get()
    if fields is None:
        return None
    activity = _activity.get() or dict.fromkeys(("currentActivityId", "activityId", "currentActivityName"),
                                                NOT_KNOWN)
    return ExecutionView(variables, {**fields, **activity}, writable)


def actor() -> str | None:
    """Who the current step acts for (the user completing a task, starting an instance, ...)."""
    fields = _current.get()
    if fields is None:
        raise ValueError("currentUser() is only available while a process runs")
    return fields["actor"]


def _current_user_groups() -> list[str]:
    person = directory.current().user(actor())
    return sorted(g.name for g in person.groups) if person is not None else []


def _authenticated_user(variables: MutableMapping[str, Any]) -> str | None:
    """Camunda's `authenticatedUserId`: who the current step acts for (null outside a process)."""
    fields = _current.get()
    return fields["actor"] if fields is not None else None


register_implicit("execution", execution)
register_implicit("authenticatedUserId", _authenticated_user)
register_function("currentUser", actor)
register_function("currentUserGroups", _current_user_groups)
