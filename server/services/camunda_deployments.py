"""engine-rest `POST /deployment/create`: what Camunda Modeler's "Deploy" button and CI scripts send.

The files go through BOMS's deploy (the same checks, refusals and deployer permission). BOMS always
deploys only what changed (an unchanged file keeps its version), which is Camunda's
`enable-duplicate-filtering` / `deploy-changed-only`; asking for the opposite, or for a tenant, is a
400 naming the field rather than a deployment that behaves otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.db import utcnow
from server.errors import BadRequest
from server.services import processes
from server.services.camunda_engine import definition_dto, definition_id
from server.services.camunda_requests import camunda_time
from server.services.deployments import UploadedFile, deploy_by

FORM_FIELDS = {"deployment-name", "deployment-source", "deployment-activation-time", "enable-duplicate-filtering",
               "deploy-changed-only", "tenant-id"}


def _check_fields(fields: dict[str, str]) -> None:
    for name, value in fields.items():
        if name not in FORM_FIELDS:
            raise BadRequest(f"'{name}' is not supported (BOMS reads {', '.join(sorted(FORM_FIELDS))} and files)",
                             field=name)
        if name in ("enable-duplicate-filtering", "deploy-changed-only") and value not in ("true", ""):
            raise BadRequest(f"'{name}={value}' is not supported: BOMS always deploys only the files that changed",
                             field=name)
        if name in ("tenant-id", "deployment-activation-time") and value:
            raise BadRequest(f"'{name}' is not supported (BOMS has no tenants and activates at once)", field=name)


def create(session: Session, who: Principal, fields: dict[str, str], files: list[UploadedFile],
           allow_scripts: bool) -> dict[str, Any]:
    _check_fields(fields)
    if not files:
        raise BadRequest("send the .bpmn/.dmn/.form files as multipart/form-data parts")
    summary = deploy_by(session, who, files, allow_scripts)
    definitions = {}
    for item in summary["processes"]:
        version = processes.find_version(session, item["key"], item["version"])
        definitions[definition_id(version)] = definition_dto(version)
    return {
        "id": str(summary["id"]) if summary["id"] is not None else None, "name": fields.get("deployment-name"),
        "source": fields.get("deployment-source"), "deploymentTime": camunda_time(utcnow()), "tenantId": None,
        "links": [], "deployedProcessDefinitions": definitions or None,
        "deployedDecisionDefinitions": {f"{d['key']}:{d['version']}": {"key": d["key"], "version": d["version"]}
                                        for d in summary["decisions"]} or None,
        "deployedCaseDefinitions": None, "deployedDecisionRequirementsDefinitions": None,
    }
