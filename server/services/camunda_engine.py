"""The engine-rest calls Camunda 7 clients use to start processes and read their variables.

Each is the BOMS service of the same meaning (same permission checks, same validation) with Camunda's
request and response shapes; what BOMS does not do (start instructions, skipping listeners or I/O
mappings, case instances) is refused naming the field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.engine.runner import Runner
from server.errors import BadRequest
from server.events import ENDED_STATUSES, InstanceStatus
from server.models import ProcessInstance, ProcessVersion
from server.services import instances, processes
from server.services.camunda_requests import body_of, flag, text
from server.services.camunda_variables import from_typed, to_typed

START_FIELDS = {"variables", "businessKey", "withVariablesInReturn", "skipCustomListeners", "skipIoMappings"}


def definition_id(version: ProcessVersion) -> str:
    return f"{version.key}:{version.version}:{version.id}"


def instance_dto(instance: ProcessInstance, version: ProcessVersion) -> dict[str, Any]:
    return {"id": instance.id, "definitionId": definition_id(version), "businessKey": instance.business_key,
            "caseInstanceId": None, "ended": instance.status in ENDED_STATUSES,
            "suspended": instance.status == InstanceStatus.SUSPENDED, "tenantId": None, "links": []}


def start_by_key(session: Session, runner: Runner, who: Principal, key: str, body: Any) -> dict[str, Any]:
    """POST /process-definition/key/{key}/start (the latest version)."""
    body = body_of(body, START_FIELDS)
    for name in ("skipCustomListeners", "skipIoMappings"):
        if flag(body, name):
            raise BadRequest(f"'{name}' is not supported: BOMS always runs input/output mappings", field=name)
    variables = from_typed(body.get("variables"))
    instance = processes.start(session, runner, who, key, variables, text(body, "businessKey"))
    result = instance_dto(instance, instance.version)
    if flag(body, "withVariablesInReturn"):
        result["variables"] = to_typed(dict(instance.variables or {}))
    return result


def get_instance(session: Session, who: Principal, instance_id: str) -> dict[str, Any]:
    instance, _ = instances.get_instance(session, who, instance_id)
    return instance_dto(instance, instance.version)


def instance_variables(session: Session, who: Principal, instance_id: str) -> dict[str, Any]:
    """GET /process-instance/{id}/variables: the instance's variables, typed."""
    instance, _ = instances.get_instance(session, who, instance_id)
    return to_typed(dict(instance.variables or {}))


def definition_by_key(session: Session, who: Principal, key: str) -> dict[str, Any]:
    return definition_dto(processes.find_version(session, key))


def definition_dto(version: ProcessVersion) -> dict[str, Any]:
    return {"id": definition_id(version), "key": version.key, "name": version.name, "version": version.version,
            "category": None, "description": None, "resource": None, "deploymentId": str(version.deployment_id),
            "diagram": None, "suspended": False, "tenantId": None, "versionTag": None,
            "historyTimeToLive": None, "startableInTasklist": True}
