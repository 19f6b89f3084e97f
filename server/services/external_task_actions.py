"""What a worker does with a task it locked: complete, failure, bpmnError, extendLock, unlock.

Each runs in one write transaction that locks the instance first, then re-reads the task row, so a
completion and a concurrent cancel or re-fetch never both win. A task locked by another worker (or
by nobody) is refused as Camunda refuses it (400 naming both workers); a task that is gone is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal, require_can_work_external_tasks
from server.db import utcnow
from server.engine.bpmn_errors import throw_bpmn_error
from server.engine.instance_operations import record_incident
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.events import EventKind
from server.forms.limits import check_variables
from server.models import ExternalTask, ProcessInstance
from server.services.camunda_requests import body_of, integer, text
from server.services.camunda_variables import from_typed
from server.services.external_tasks import MAX_LOCK_MS, worker_variables
from server.services.service_tasks import ServiceTaskFailed, map_result

MAX_TEXT = 4000  # error messages; details up to MAX_DETAILS
MAX_DETAILS = 100_000


def _task_id_instance(session: Session, task_id: str) -> str:
    instance_id = session.scalar(select(ExternalTask.instance_id).where(ExternalTask.id == task_id))
    if instance_id is None:
        raise NotFound(f"External task with id {task_id} does not exist")
    return instance_id


def _locked(session: Session, runner: Runner, who: Principal, task_id: str,
            worker_id: str | None) -> tuple[ExternalTask, ProcessInstance]:
    require_can_work_external_tasks(who)
    instance = runner.lock_instance(session, _task_id_instance(session, task_id))
    task = session.scalar(select(ExternalTask).where(ExternalTask.id == task_id).execution_options(
        populate_existing=True))
    if task is None:
        raise NotFound(f"External task with id {task_id} does not exist")
    if worker_id is not None and task.worker_id != worker_id:
        raise BadRequest(f"External Task {task_id} cannot be handled by worker '{worker_id}'. It is locked by "
                         f"worker '{task.worker_id}'." if task.worker_id else
                         f"External Task {task_id} is not locked (fetch and lock it first)", field="workerId")
    return task, instance


def _variables(body: dict[str, Any], name: str) -> dict[str, Any]:
    values = from_typed(body.get(name), name)
    check_variables(values, name)
    return values


def complete(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> None:
    """The worker's result: `variables` go to the process (through the task's output parameters if it
    has any, with `localVariables` visible to them); the instance goes on."""
    body = body_of(body, {"workerId", "variables", "localVariables"})
    task, instance = _locked(session, runner, who, task_id, text(body, "workerId", required=True))
    variables, local_variables = _variables(body, "variables"), _variables(body, "localVariables")
    config = (instance.version.elements.get(task.element_id) or {}).get("service") or {}
    if config.get("outputs"):
        process_variables, locals_ = worker_variables(instance, task.element_id)
        try:
            result = {**variables, **map_result(config, {**process_variables, **locals_, **local_variables},
                                                 variables)}
        except ServiceTaskFailed as exc:
            raise BadRequest(f"output parameters of '{task.element_id}': {exc.message}") from None
    else:
        result = variables
    runner.complete_service_task(session, instance, task.id, result, actor=who.username)


def failure(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> None:
    """Retries left: the task is fetchable again after retryTimeout ms. Retries 0: an incident."""
    body = body_of(body, {"workerId", "errorMessage", "errorDetails", "retries", "retryTimeout"})
    task, instance = _locked(session, runner, who, task_id, text(body, "workerId", required=True))
    message, details = body.get("errorMessage"), body.get("errorDetails")
    for name, value, limit in (("errorMessage", message, MAX_TEXT), ("errorDetails", details, MAX_DETAILS)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise BadRequest(f"'{name}' must be text of at most {limit} characters", field=name)
    retries = integer(body, "retries", 0, 2**31 - 1, required=True) or 0
    timeout = integer(body, "retryTimeout", 0, MAX_LOCK_MS, default=0) or 0
    task.retries, task.error_message, task.error_details, task.worker_id = retries, message, details, None
    task.lock_expires_at = utcnow() + timedelta(milliseconds=timeout) if timeout else None
    publish(session, Event(kind=EventKind.EXTERNAL_TASK_FAILED, actor=who.username, instance_id=instance.id,
                           task_id=task.id, element_id=task.element_id,
                           data={"topic": task.topic, "message": message, "retries": retries,
                                 "retryTimeout": timeout}))
    if retries == 0:
        record_incident(runner, session, instance, task.element_id, task.id,
                        f"external task '{task.element_id}' (topic '{task.topic}') failed with no retries left: "
                        f"{message or 'no message'}", actor=who.username)


def bpmn_error(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> None:
    body = body_of(body, {"workerId", "errorCode", "errorMessage", "variables"})
    task, instance = _locked(session, runner, who, task_id, text(body, "workerId", required=True))
    code = text(body, "errorCode", required=True) or ""
    message = body.get("errorMessage")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_TEXT):
        raise BadRequest(f"'errorMessage' must be text of at most {MAX_TEXT} characters", field="errorMessage")
    variables = _variables(body, "variables")
    if not throw_bpmn_error(runner, session, instance, task.id, code, message, variables, who.username):
        # Nothing caught it (an incident): the task stays, out of the workers' reach, until an admin retries.
        task.worker_id, task.lock_expires_at, task.retries = None, None, 0
        task.error_message = f"BPMN error '{code}' caught by no error event"


def extend_lock(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> None:
    body = body_of(body, {"workerId", "newDuration"})
    task, _ = _locked(session, runner, who, task_id, text(body, "workerId", required=True))
    duration = integer(body, "newDuration", 1, MAX_LOCK_MS, required=True) or 1
    now = utcnow()
    if task.lock_expires_at is None or task.lock_expires_at <= now:
        raise BadRequest(f"Cannot extend a lock that expired (external task {task_id})", field="workerId")
    task.lock_expires_at = now + timedelta(milliseconds=duration)


def unlock(session: Session, runner: Runner, who: Principal, task_id: str) -> None:
    task, _ = _locked(session, runner, who, task_id, None)
    task.worker_id, task.lock_expires_at = None, None
