"""Camunda 7 external tasks, the worker side of the protocol: fetch and lock, lists and reads.

A task is fetchable while nobody holds a live lock on it, it has retries left (or never failed) and
its instance runs. fetchAndLock locks rows with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL
(SQLite has one writer at a time), so two workers never get the same task; a lock that expired is a
row like any other. Long polling (`asyncResponseTimeout`) re-checks with a cheap read every
POLL_SECONDS until a task is there or the time is up (at most MAX_WAIT_MS; a client simply asks again).
The actions on a locked task (complete, failure, bpmnError, extendLock, unlock) are in
external_task_actions.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_can_work_external_tasks
from server.db import Database, utcnow
from server.errors import BadRequest, NotFound
from server.events import LIVE_STATUSES
from server.models import ExternalTask, ProcessInstance, ProcessVersion
from server.services.camunda_requests import (
    body_of,
    bool_param,
    camunda_time,
    flag,
    int_param,
    integer,
    names,
    query_of,
    text,
)
from server.services.camunda_variables import to_typed
from server.services.service_tasks import ServiceTaskFailed, evaluate_locals

FETCH_FIELDS = {"workerId", "maxTasks", "usePriority", "asyncResponseTimeout", "topics", "sorting"}
TOPIC_FIELDS = {"topicName", "lockDuration", "variables", "localVariables", "businessKey", "processDefinitionKey",
                "processDefinitionKeyIn", "processVariables", "deserializeValues", "includeExtensionProperties",
                "withoutTenantId"}
MAX_TASKS = 1000
MAX_LOCK_MS = 7 * 24 * 3600 * 1000
MAX_WAIT_MS = 60_000
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Topic:
    name: str
    lock_ms: int
    variables: list[str] | None
    local_only: bool
    business_key: str | None
    process_keys: list[str] | None
    process_variables: dict[str, Any]
    extension_properties: bool


@dataclass(frozen=True)
class FetchRequest:
    worker_id: str
    max_tasks: int
    wait_ms: int
    topics: list[Topic]
    newest_first: bool


def _topic(raw: Any, index: int) -> Topic:
    where = f"topics.{index}"
    body = body_of(raw, TOPIC_FIELDS, where)
    keys = names(body, "processDefinitionKeyIn", where)
    if body.get("processDefinitionKey") is not None:
        keys = [*(keys or []), text(body, "processDefinitionKey", where=where) or ""]
    process_variables = body.get("processVariables") or {}
    if not isinstance(process_variables, dict):
        raise BadRequest(f"'{where}.processVariables' must be an object of variable values",
                         field=f"{where}.processVariables")
    if body.get("withoutTenantId") is False:
        raise BadRequest(f"'{where}.withoutTenantId': BOMS has no tenants", field=f"{where}.withoutTenantId")
    flag(body, "deserializeValues", where)  # every BOMS value is JSON: there is nothing to deserialize
    return Topic(name=text(body, "topicName", required=True, where=where) or "",
                 lock_ms=integer(body, "lockDuration", 1, MAX_LOCK_MS, required=True, where=where) or 1,
                 variables=names(body, "variables", where), local_only=flag(body, "localVariables", where),
                 business_key=text(body, "businessKey", where=where), process_keys=keys,
                 process_variables=process_variables,
                 extension_properties=flag(body, "includeExtensionProperties", where))


def _newest_first(sorting: Any) -> bool:
    if sorting in (None, []):
        return False
    if not isinstance(sorting, list) or len(sorting) != 1 or not isinstance(sorting[0], dict) \
            or sorting[0].get("sortBy") != "createTime" or sorting[0].get("sortOrder") not in ("asc", "desc"):
        raise BadRequest("'sorting' supports one entry {\"sortBy\": \"createTime\", \"sortOrder\": \"asc\"|\"desc\"}",
                         field="sorting")
    return sorting[0]["sortOrder"] == "desc"


def fetch_request(body: Any) -> FetchRequest:
    body = body_of(body, FETCH_FIELDS)
    topics = body.get("topics")
    if not isinstance(topics, list) or not topics:
        raise BadRequest("'topics' must be a non-empty list", field="topics")
    flag(body, "usePriority")  # every external task has priority 0, so the order is creation time either way
    wait = integer(body, "asyncResponseTimeout", 0, 2**31 - 1, default=0) or 0
    return FetchRequest(worker_id=text(body, "workerId", required=True) or "",
                        max_tasks=integer(body, "maxTasks", 0, MAX_TASKS, required=True) or 0,
                        wait_ms=min(wait, MAX_WAIT_MS), topics=[_topic(t, i) for i, t in enumerate(topics)],
                        newest_first=_newest_first(body.get("sorting")))


def _fetchable(topic: Topic, now: Any, newest_first: bool) -> Select[Any]:
    query = (select(ExternalTask, ProcessInstance)
             .join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
             .where(ExternalTask.topic == topic.name, ProcessInstance.status.in_(LIVE_STATUSES),
                    or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
                    or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now)))
    if topic.business_key is not None:
        query = query.where(ProcessInstance.business_key == topic.business_key)
    if topic.process_keys is not None:
        query = query.where(ExternalTask.process_key.in_(topic.process_keys))
    order = ExternalTask.created_at.desc() if newest_first else ExternalTask.created_at
    return query.order_by(order, ExternalTask.id)


def _matches(topic: Topic, instance: ProcessInstance) -> bool:
    variables = instance.variables or {}
    return all(name in variables and variables[name] == value for name, value in topic.process_variables.items())


def _try_lock(session: Session, request: FetchRequest) -> list[dict[str, Any]]:
    now, locked = utcnow(), []
    for topic in request.topics:
        room = request.max_tasks - len(locked)
        if room <= 0:
            break
        # processVariables is checked on the values, so read more rows than will be locked.
        limit = room if not topic.process_variables else max(room * 10, 100)
        rows = session.execute(_fetchable(topic, now, request.newest_first).limit(limit)
                               .with_for_update(of=ExternalTask, skip_locked=True)).all()
        for task, instance in rows:
            if len(locked) >= request.max_tasks:
                break
            if not _matches(topic, instance):
                continue
            task.worker_id, task.lock_expires_at = request.worker_id, now + timedelta(milliseconds=topic.lock_ms)
            locked.append(_locked_dto(session, task, instance, topic))
    return locked


def _any_fetchable(session: Session, request: FetchRequest) -> bool:
    now = utcnow()
    return any(session.execute(_fetchable(t, now, False).with_only_columns(ExternalTask.id).limit(1)).first()
               for t in request.topics)


def fetch_and_lock(database: Database, who: Principal, body: Any) -> list[dict[str, Any]]:
    """Lock up to maxTasks tasks of the topics for the worker; wait up to asyncResponseTimeout for one."""
    require_can_work_external_tasks(who)
    request = fetch_request(body)
    if request.max_tasks == 0:
        return []
    deadline = time.monotonic() + request.wait_ms / 1000
    while True:
        with database.read() as session:
            available = _any_fetchable(session, request)
        if available:
            with database.write() as session:
                locked = _try_lock(session, request)
            if locked:
                return locked
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return []
        time.sleep(min(POLL_SECONDS, remaining))


def _definition_id(session: Session, instance: ProcessInstance) -> str:
    version = session.get(ProcessVersion, instance.version_id)
    return f"{instance.process_key}:{version.version if version else 0}:{instance.version_id}"


def _config(instance: ProcessInstance, element_id: str) -> dict[str, Any]:
    return (instance.version.elements.get(element_id) or {}).get("service") or {}


def worker_variables(instance: ProcessInstance, element_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(process variables, the task's input parameters evaluated over them)."""
    variables = dict(instance.variables or {})
    try:
        _, locals_ = evaluate_locals(_config(instance, element_id), variables)
    except ServiceTaskFailed as exc:
        raise BadRequest(f"input parameters of '{element_id}': {exc.message}") from None
    return variables, locals_


def _locked_dto(session: Session, task: ExternalTask, instance: ProcessInstance, topic: Topic) -> dict[str, Any]:
    variables, locals_ = worker_variables(instance, task.element_id)
    visible = locals_ if topic.local_only else {**variables, **locals_}
    body = {**task_dto(session, task, instance), "variables": to_typed(visible, topic.variables)}
    if topic.extension_properties:
        body["extensionProperties"] = dict(_config(instance, task.element_id).get("properties") or {})
    return body


def task_dto(session: Session, task: ExternalTask, instance: ProcessInstance) -> dict[str, Any]:
    """Camunda's ExternalTaskDto."""
    return {
        "id": task.id, "topicName": task.topic, "workerId": task.worker_id,
        "lockExpirationTime": camunda_time(task.lock_expires_at), "retries": task.retries,
        "errorMessage": task.error_message, "errorDetails": task.error_details, "priority": task.priority,
        "activityId": task.element_id, "activityInstanceId": f"{task.element_id}:{task.id}", "executionId": task.id,
        "processInstanceId": instance.id, "processDefinitionKey": instance.process_key,
        "processDefinitionId": _definition_id(session, instance), "processDefinitionVersionTag": None,
        "businessKey": instance.business_key, "tenantId": None, "createTime": camunda_time(task.created_at),
        "suspended": instance.status not in LIVE_STATUSES,
    }


LIST_PARAMS = {"externalTaskId", "topicName", "workerId", "locked", "notLocked", "withRetriesLeft",
               "noRetriesLeft", "processInstanceId", "activityId", "firstResult", "maxResults"}


def list_external_tasks(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /external-task with Camunda's filters (those listed in LIST_PARAMS; any other is a 400)."""
    require_can_work_external_tasks(who)
    query_of(params, LIST_PARAMS)
    now = utcnow()
    query = select(ExternalTask, ProcessInstance).join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
    for name, column in (("externalTaskId", ExternalTask.id), ("topicName", ExternalTask.topic),
                         ("workerId", ExternalTask.worker_id), ("processInstanceId", ExternalTask.instance_id),
                         ("activityId", ExternalTask.element_id)):
        if params.get(name):
            query = query.where(column == params[name])
    if bool_param(params, "locked"):
        query = query.where(ExternalTask.lock_expires_at > now, ExternalTask.worker_id.is_not(None))
    if bool_param(params, "notLocked"):
        query = query.where(or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now,
                                ExternalTask.worker_id.is_(None)))
    if bool_param(params, "withRetriesLeft"):
        query = query.where(or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0))
    if bool_param(params, "noRetriesLeft"):
        query = query.where(ExternalTask.retries == 0)
    query = query.order_by(ExternalTask.created_at, ExternalTask.id).offset(int_param(params, "firstResult", 0)) \
        .limit(int_param(params, "maxResults", 1000))
    return [task_dto(session, task, instance) for task, instance in session.execute(query).all()]


def get_external_task(session: Session, who: Principal, task_id: str) -> dict[str, Any]:
    require_can_work_external_tasks(who)
    task = session.get(ExternalTask, task_id)
    if task is None:
        raise NotFound(f"External task with id {task_id} does not exist")
    return task_dto(session, task, session.get(ProcessInstance, task.instance_id))
