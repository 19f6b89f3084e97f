"""Service tasks: the worker side.  A started service task has a job; this handler runs it.

1. read the instance's variables and the task's connector configuration (a short read transaction);
2. evaluate the input parameters and call the connector, outside any transaction, since a call may
   take as long as its timeout;
3. map the result to variables and complete the task in one write transaction that also marks the
   job done, so a redelivered job never applies a result twice.
A retryable connector failure raises RetryLater with the task's retry policy; anything else, and a
retryable failure out of attempts, becomes an incident naming the element.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace
from typing import Any

from server.connectors import ConnectorContext, ConnectorError, UnknownConnector, is_registered, registration
from server.connectors import get as get_connector
from server.connectors.retry import DEFAULT_RETRY, delay_after
from server.connectors.values import evaluate
from server.errors import Conflict, EngineError, ValueRefused
from server.expressions import ExpressionError
from server.forms.limits import check_variables
from server.models import ProcessInstance
from server.services.job_events import publish_job_event
from server.services.jobs import JobContext, RetryLater


class ServiceTaskFailed(EngineError):
    """A service task cannot complete: a parameter would not evaluate or the call failed for good."""


def _read(ctx: JobContext) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    with ctx.database.read() as session:
        instance = session.get(ProcessInstance, ctx.instance_id)
        if instance is None:
            raise ServiceTaskFailed(f"process instance '{ctx.instance_id}' does not exist")
        element = instance.version.elements.get(ctx.element_id or "", {})
        return element.get("service"), dict(instance.variables or {})


def evaluate_locals(config: dict[str, Any], variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(variables with the task's input parameters, the input parameters alone), each evaluated in order."""
    scope, locals_ = dict(variables), {}
    for name, spec in config.get("locals", []):
        scope[name] = locals_[name] = _value(spec, scope, f"input parameter '{name}'")
    return scope, locals_


def _evaluate_inputs(config: dict[str, Any], variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    scope, _ = evaluate_locals(config, variables)
    params = {name: _value(spec, scope, f"parameter '{name}'") for name, spec in config["params"].items()}
    return params, scope


def _value(spec: dict[str, Any], scope: Mapping[str, Any], what: str) -> Any:
    try:
        return evaluate(spec, scope)
    except ExpressionError as exc:
        raise ServiceTaskFailed(f"{what}: {exc}") from None


def map_result(config: dict[str, Any], scope: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The variables a result sets: the whole result under resultVariable, then each output mapping."""
    variables: dict[str, Any] = {}
    if config.get("resultVariable"):
        variables[config["resultVariable"]] = result
    aliases = {alias: result.get(field) for alias, field in (config.get("resultAliases") or {}).items()}
    outputs = {**scope, **aliases, **result}
    for name, spec in config.get("outputs", []):
        variables[name] = _value(spec, outputs, f"output parameter '{name}'")
        outputs[name] = variables[name]  # a later output may use an earlier one
    return variables


def call_connector(config: dict[str, Any], variables: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    """Evaluate the inputs, call the connector, map its result; RetryLater when another try may help."""
    params, scope = _evaluate_inputs(config, variables)
    try:
        connector = get_connector(config["connector"])
    except UnknownConnector as exc:  # deployed on a server that had it
        raise ServiceTaskFailed(str(exc)) from None
    retry = config.get("retry") or DEFAULT_RETRY
    try:
        result = connector(params, context)
    except ConnectorError as exc:
        if exc.retryable:
            raise RetryLater(exc.message, delay_after(retry, context.attempt), retry["maxAttempts"]) from None
        raise ServiceTaskFailed(exc.message) from None
    if not isinstance(result, dict):
        raise ServiceTaskFailed(f"connector '{config['connector']}' returned {type(result).__name__}, not a map")
    variables = map_result(config, scope, result)
    try:
        check_variables(variables)
    except ValueRefused as exc:  # an incident naming the element, not a state that can never load again
        raise ServiceTaskFailed(f"connector '{config['connector']}' result cannot be stored: {exc.message}",
                                field=exc.details["field"]) from None
    return variables


def run_service_job(ctx: JobContext) -> None:
    if not ctx.instance_id or not ctx.task_id:
        raise ServiceTaskFailed(f"service job {ctx.job_id} names no instance or task")
    config, variables = _read(ctx)
    context = ConnectorContext(ctx.instance_id, ctx.element_id or "", ctx.attempts, ctx.config)
    connector = (config or {}).get("connector")
    if config:
        with ctx.database.write() as session:  # in the history even if the worker dies in the call
            publish_job_event(session, ctx, "service.call_started", connector=connector)
    started = time.monotonic()
    inside = bool(config) and is_registered(connector) and registration(connector).transactional
    # A service task with no connector (drawn in a plain BPMN editor) calls nothing and goes on.
    result = call_connector(config, variables, context) if config and not inside else {}
    with ctx.database.write() as session:
        instance = ctx.runner.lock_instance(session, ctx.instance_id)
        if not ctx.finish(session):
            return  # another delivery applied its result first
        if inside:  # its writes commit with the task's completion; a failure rolls both back
            result = call_connector(config, dict(instance.variables or {}), replace(context, session=session))
        publish_job_event(session, ctx, "service.call_finished", connector=connector,
                          seconds=round(time.monotonic() - started, 3))
        # Cancelled, suspended or completed meanwhile: the result has nowhere to go.
        with suppress(Conflict):
            ctx.runner.complete_service_task(session, instance, ctx.task_id, result, actor="system")
