"""Process definitions: list, one version, its XML, start an instance."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.common import iso, json_body, principal, reading, runner, variables_of, version_value, writing
from server.api.instances import instance_json
from server.errors import BadRequest
from server.models import ProcessVersion
from server.queries import QueryArgs
from server.security_headers import stored_xml
from server.services import processes
from server.services.instances import started_instance


def definition_json(row: ProcessVersion, instances: int | None = None) -> dict[str, Any]:
    body = {
        "id": row.id,
        "key": row.key,
        "version": row.version,
        "name": row.name,
        "latest": row.is_latest,
        "fileName": row.file_name,
        "deployedAt": iso(row.deployed_at),
        "deployedBy": row.deployed_by,
        "deploymentId": row.deployment_id,
        "startForm": row.start_form,
        "candidateStarters": row.candidate_starters,
        "userTasks": {
            element: {"name": info.get("name"), "form": info.get("form")}
            for element, info in row.elements.items() if info.get("kind") == "userTask"
        },
    }
    if instances is not None:
        body["instanceCount"] = instances
    return body


def _version_arg() -> int | None:
    return version_value(request.args.get("version"))


@api.get("/process-definitions")
def list_definitions() -> Any:
    principal()
    args = QueryArgs(request.args)
    latest = args.choice("latest", ("true", "false", "1", "0", "yes", "no")) in ("true", "1", "yes")
    with reading() as session:
        rows = processes.list_versions(session, args.text("key"), latest)
        counts = processes.instance_counts(session, [r.id for r in rows])
        return {"items": [definition_json(r, counts.get(r.id, 0)) for r in rows], "total": len(rows)}


@api.get("/process-definitions/<key>")
def get_definition(key: str) -> Any:
    principal()
    with reading() as session:
        row = processes.find_version(session, key, _version_arg())
        return definition_json(row, processes.instance_counts(session, [row.id]).get(row.id, 0))


@api.get("/process-definitions/<key>/xml")
def get_definition_xml(key: str) -> Any:
    principal()
    with reading() as session:
        row = processes.find_version(session, key, _version_arg())
        return stored_xml(row.bpmn_xml, f"{row.key}.bpmn")


@api.post("/process-definitions/<key>/start")
def start_instance(key: str) -> Any:
    who = principal()
    body = json_body()
    business_key = body.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise BadRequest("businessKey must be a string", field="businessKey")
    with writing() as session:
        instance = processes.start(session, runner(), who, key, variables_of(body), business_key,
                                   version_value(body.get("version")))
        instance, tasks = started_instance(session, who, instance)
        return instance_json(instance, tasks), 201
