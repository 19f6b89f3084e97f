"""engine-rest lists, deletes, messages, signals and history: the rest of what Camunda 7 clients call.

Each call is one BOMS service with Camunda's shapes (typed variables, Camunda's field names and
states). Parameters and fields BOMS does not implement are a 400 naming them (tenants, skipping
listeners, correlating to every match), never ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.db import Database
from server.engine.runner import Runner
from server.errors import BadRequest
from server.events import ENDED_STATUSES, LIVE_STATUSES, InstanceStatus, TaskStatus
from server.models import HumanTask, ProcessInstance
from server.queries import PageRequest
from server.services import instances, messages, processes, tasks
from server.services.camunda_engine import definition_dto, definition_id, instance_dto
from server.services.camunda_requests import body_of, bool_param, camunda_time, int_param, query_of, text
from server.services.camunda_variables import from_typed

PAGING = {"firstResult", "maxResults"}
MAX_RESULTS = 1000
STATES = {InstanceStatus.RUNNING: "ACTIVE", InstanceStatus.ERROR: "ACTIVE", InstanceStatus.SUSPENDED: "SUSPENDED",
          InstanceStatus.COMPLETED: "COMPLETED", InstanceStatus.CANCELLED: "EXTERNALLY_TERMINATED"}


def _paging(params: dict[str, str]) -> tuple[int, int, PageRequest]:
    first, size = int_param(params, "firstResult", 0), int_param(params, "maxResults", MAX_RESULTS)
    if size > MAX_RESULTS:
        raise BadRequest(f"'maxResults' must be at most {MAX_RESULTS}", field="maxResults")
    return first, size, PageRequest(page=1, size=first + size)


def list_definitions(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /process-definition (`key`, `latestVersion`)."""
    query_of(params, {"key", "latestVersion"} | PAGING)
    first, size, _ = _paging(params)
    versions = processes.list_versions(session, params.get("key"), bool_param(params, "latestVersion"))
    return [definition_dto(v) for v in versions[first:first + size]]


@dataclass
class _Instances(instances.InstanceFilter):
    live: bool | None = None  # True: not ended (Camunda's runtime list); False: ended only
    instance_id: str | None = None

    def clauses(self, session: Session) -> list[ColumnElement[bool]]:
        clauses = super().clauses(session)
        if self.live is not None:
            statuses = (*LIVE_STATUSES, InstanceStatus.SUSPENDED) if self.live else ENDED_STATUSES
            clauses.append(ProcessInstance.status.in_(statuses))
        if self.instance_id:
            clauses.append(ProcessInstance.id == self.instance_id)
        return clauses


def list_instances(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /process-instance: the running instances `who` may see (`processDefinitionKey`, `businessKey`)."""
    query_of(params, {"processDefinitionKey", "businessKey"} | PAGING)
    first, size, request = _paging(params)
    f = _Instances(key=params.get("processDefinitionKey"), business_key=params.get("businessKey"), live=True)
    page = instances.list_instances(session, who, f, request)
    return [instance_dto(i, i.version) for i in page.items[first:first + size]]


def delete_instance(session: Session, runner: Runner, who: Principal, instance_id: str,
                    params: dict[str, str]) -> None:
    """DELETE /process-instance/{id}: cancelled as BOMS cancels (its starter or an admin)."""
    query_of(params, {"skipCustomListeners", "skipIoMappings", "skipSubprocesses", "failIfNotExists"})
    for name in ("skipCustomListeners", "skipIoMappings", "skipSubprocesses"):
        if bool_param(params, name):
            raise BadRequest(f"'{name}' is not supported: BOMS cancels the whole instance as it is", field=name)
    if params.get("failIfNotExists") == "false":
        raise BadRequest("'failIfNotExists=false' is not supported: deleting a missing instance is a 404",
                         field="failIfNotExists")
    instances.cancel(session, runner, who, instance_id, "deleted through engine-rest")


def history_instance_dto(instance: ProcessInstance) -> dict[str, Any]:
    version = instance.version
    ended = instance.ended_at
    duration = int((ended - instance.started_at).total_seconds() * 1000) if ended else None
    return {
        "id": instance.id, "businessKey": instance.business_key, "processDefinitionId": definition_id(version),
        "processDefinitionKey": version.key, "processDefinitionName": version.name,
        "processDefinitionVersion": version.version, "startTime": camunda_time(instance.started_at),
        "endTime": camunda_time(ended), "removalTime": None, "durationInMillis": duration,
        "startUserId": instance.started_by, "startActivityId": None,
        "deleteReason": "cancelled" if instance.status == InstanceStatus.CANCELLED else None,
        "rootProcessInstanceId": instance.id, "superProcessInstanceId": None, "superCaseInstanceId": None,
        "caseInstanceId": None, "tenantId": None, "state": STATES.get(instance.status, "ACTIVE"),
    }


def history_instances(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /history/process-instance: every instance `who` may see, ended ones too."""
    query_of(params, {"processInstanceId", "processDefinitionKey", "processInstanceBusinessKey", "startedBy",
                      "finished", "unfinished"} | PAGING)
    finished, unfinished = bool_param(params, "finished"), bool_param(params, "unfinished")
    if finished and unfinished:
        return []
    first, size, request = _paging(params)
    f = _Instances(key=params.get("processDefinitionKey"), business_key=params.get("processInstanceBusinessKey"),
                   started_by=params.get("startedBy"), instance_id=params.get("processInstanceId"),
                   live=False if finished else True if unfinished else None)
    page = instances.list_instances(session, who, f, request)
    return [history_instance_dto(i) for i in page.items[first:first + size]]


def history_instance(session: Session, who: Principal, instance_id: str) -> dict[str, Any]:
    instance, _ = instances.get_instance(session, who, instance_id)
    return history_instance_dto(instance)


@dataclass
class _Tasks(tasks.TaskFilter):
    element: str | None = None
    finished: bool = False
    unfinished: bool = False

    def clauses(self, who: Principal) -> list[ColumnElement[bool]]:
        clauses = super().clauses(who)
        if self.element:
            clauses.append(HumanTask.element_id == self.element)
        if self.finished:
            clauses.append(HumanTask.status != TaskStatus.OPEN)
        if self.unfinished:
            clauses.append(HumanTask.status == TaskStatus.OPEN)
        return clauses


def history_task_dto(task: HumanTask) -> dict[str, Any]:
    version = task.instance.version
    ended = task.completed_at
    return {
        "id": task.id, "processDefinitionKey": version.key, "processDefinitionId": definition_id(version),
        "processInstanceId": task.instance_id, "executionId": task.instance_id, "activityInstanceId": None,
        "name": task.name, "description": task.element.get("instructions"), "owner": task.owner,
        "assignee": task.completed_by or task.assignee, "startTime": camunda_time(task.created_at),
        "endTime": camunda_time(ended),
        "duration": int((ended - task.created_at).total_seconds() * 1000) if ended else None,
        "deleteReason": {"completed": "completed", "cancelled": "deleted"}.get(task.status),
        "taskDefinitionKey": task.element_id, "priority": 50, "due": camunda_time(task.due_at),
        "followUp": None, "parentTaskId": None, "caseDefinitionKey": None, "caseDefinitionId": None,
        "caseInstanceId": None, "caseExecutionId": None, "tenantId": None, "removalTime": None,
        "rootProcessInstanceId": task.instance_id,
    }


def history_tasks(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /history/task: the tasks `who` may see, open and ended."""
    query_of(params, {"processInstanceId", "processDefinitionKey", "taskAssignee", "taskDefinitionKey",
                      "finished", "unfinished"} | PAGING)
    first, size, request = _paging(params)
    f = _Tasks(assignee=params.get("taskAssignee"), process_key=params.get("processDefinitionKey"),
               instance_id=params.get("processInstanceId"), status=None, element=params.get("taskDefinitionKey"),
               finished=bool_param(params, "finished"), unfinished=bool_param(params, "unfinished"))
    page = tasks.list_tasks(session, who, f, request)
    return [history_task_dto(t) for t in page.items[first:first + size]]


MESSAGE_FIELDS = {"messageName", "businessKey", "correlationKeys", "processVariables", "resultEnabled", "all"}


def correlate_message(database: Database, runner: Runner, who: Principal, body: Any) -> list[dict[str, Any]] | None:
    """POST /message: to the instance waiting for it (business key, correlation keys) or a process it starts."""
    body = body_of(body, MESSAGE_FIELDS)
    if body.get("all"):
        raise BadRequest("'all' is not supported: BOMS correlates a message to one waiting instance", field="all")
    keys = from_typed(body.get("correlationKeys")) if body.get("correlationKeys") is not None else None
    result = messages.send_message(database, runner, who, {
        "name": text(body, "messageName", required=True), "businessKey": text(body, "businessKey"),
        "correlationKeys": keys, "variables": from_typed(body.get("processVariables"))})
    if not body.get("resultEnabled"):
        return None
    found = [{"resultType": "Execution", "processInstance": None,
              "execution": {"id": i, "processInstanceId": i, "ended": False, "tenantId": None}}
             for i in result["instances"]]
    return found + [{"resultType": "ProcessDefinition", "execution": None,
                     "processInstance": {"id": i, "ended": False, "tenantId": None}} for i in result["started"]]


def throw_signal(database: Database, runner: Runner, who: Principal, body: Any) -> None:
    """POST /signal {"name", "variables"}: to every instance waiting for it and every process it starts."""
    body = body_of(body, {"name", "variables"})
    messages.send_signal(database, runner, who, {"name": text(body, "name", required=True),
                                                 "variables": from_typed(body.get("variables"))})
