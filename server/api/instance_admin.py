"""Operating instances and tasks (admins): suspend, resume, retry, variables, migrate, reassign, due."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.api import api
from server.api.common import json_body, principal, runner, version_value, writing
from server.api.instances import instance_json
from server.api.tasks import task_json
from server.errors import BadRequest, BomsError
from server.services import instance_admin as ops

MAX_BULK = 1000


@api.post("/process-instances/<instance_id>/suspend")
def suspend_instance(instance_id: str) -> Any:
    with writing() as session:
        return instance_json(ops.suspend(session, runner(), principal(), instance_id))


@api.post("/process-instances/<instance_id>/resume")
def resume_instance(instance_id: str) -> Any:
    with writing() as session:
        return instance_json(ops.resume(session, runner(), principal(), instance_id))


@api.post("/process-instances/<instance_id>/retry")
def retry_instance(instance_id: str) -> Any:
    who = principal()
    with writing() as session:
        instance = ops.retry(session, runner(), who, instance_id)
        return instance_json(instance, [])


@api.patch("/process-instances/<instance_id>/variables")
def patch_variables(instance_id: str) -> Any:
    who = principal()
    variables = json_body().get("variables")
    if not isinstance(variables, dict):
        raise BadRequest("send {\"variables\": {name: value, ...}}", field="variables")
    with writing() as session:
        instance = ops.set_variables(session, runner(), who, instance_id, variables)
        return instance_json(instance, [])


def _target(body: dict[str, Any]) -> int | None:
    value = body.get("versionId")
    return version_value(value, "versionId")


@api.post("/process-instances/<instance_id>/migrate")
def migrate_instance(instance_id: str) -> Any:
    who = principal()
    target = _target(json_body())
    with writing() as session:
        return instance_json(ops.migrate(session, runner(), who, instance_id, target))


@api.post("/process-instances/migrate")
def migrate_instances() -> Any:
    """Bulk: each instance in its own transaction; one that cannot move does not stop the others."""
    who = principal()
    body = json_body()
    ids = body.get("instanceIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_BULK:
        raise BadRequest(f"instanceIds must be a list of 1 to {MAX_BULK} instance ids", field="instanceIds")
    target = _target(body)
    results = []
    for instance_id in dict.fromkeys(ids):
        try:
            with writing() as session:
                instance = ops.migrate(session, runner(), who, instance_id, target)
                results.append({"id": instance_id, "ok": True, "version": instance.version.version})
        except BomsError as exc:
            results.append({"id": instance_id, "ok": False, "error": exc.to_dict()["error"]})
    return {"results": results, "migrated": sum(1 for r in results if r["ok"])}


@api.patch("/tasks/<task_id>")
def patch_task(task_id: str) -> Any:
    who = principal()
    body = json_body()
    if not {"assignee", "dueAt"} & body.keys():
        raise BadRequest("send assignee and/or dueAt")
    assignee = body.get("assignee")
    if "assignee" in body and assignee is not None and not isinstance(assignee, str):
        raise BadRequest("assignee must be a username or null", field="assignee")
    with writing() as session:
        if "assignee" in body:
            task = ops.reassign(session, runner(), who, task_id, assignee)
        if "dueAt" in body:
            task = ops.set_due(session, runner(), who, task_id, _due(body["dueAt"]))
        return task_json(task)


def _due(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("dueAt must be an ISO 8601 date-time or null", field="dueAt") from exc
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
