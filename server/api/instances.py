"""Process instances: list, detail, history, cancel."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.audit import event_json
from server.api.common import iso, json_body, paging, principal, reading, runner, time_arg, writing
from server.api.tasks import task_json
from server.models import AuditEvent, HumanTask, ProcessInstance
from server.services import instances as service


def instance_json(row: ProcessInstance, tasks: list[HumanTask] | None = None) -> dict[str, Any]:
    body = {
        "id": row.id,
        "processKey": row.process_key,
        "processVersion": row.version.version,
        "businessKey": row.business_key,
        "status": row.status,
        "startedAt": iso(row.started_at),
        "startedBy": row.started_by,
        "endedAt": iso(row.ended_at),
        "activeElements": row.active_elements,
    }
    if tasks is not None:
        body["variables"] = row.variables
        body["visitedElements"] = row.visited_elements
        body["openTasks"] = [task_json(t) for t in tasks if t.status == "open"]
        body["error"] = row.error
    return body


@api.get("/process-instances")
def list_instances() -> Any:
    who = principal()
    page, size = paging()
    args = request.args
    f = service.InstanceFilter(
        status=args.get("status"), key=args.get("key"), business_key=args.get("businessKey"),
        started_by=args.get("startedBy"), started_after=time_arg("startedAfter"),
        started_before=time_arg("startedBefore"),
    )
    with reading() as session:
        rows, total = service.list_instances(session, who, f, page, size)
        return {"items": [instance_json(r) for r in rows], "total": total, "page": page, "pageSize": size}


@api.get("/process-instances/<instance_id>")
def get_instance(instance_id: str) -> Any:
    who = principal()
    with reading() as session:
        instance, tasks = service.get_instance(session, who, instance_id)
        return instance_json(instance, tasks)


@api.get("/process-instances/<instance_id>/history")
def instance_history(instance_id: str) -> Any:
    who = principal()
    with reading() as session:
        events: list[AuditEvent] = service.history(session, who, instance_id)
        return {"items": [event_json(e) for e in events], "total": len(events)}


@api.post("/process-instances/<instance_id>/cancel")
def cancel_instance(instance_id: str) -> Any:
    who = principal()
    reason = json_body().get("reason")
    with writing() as session:
        instance = service.cancel(session, runner(), who, instance_id, reason if isinstance(reason, str) else None)
        return instance_json(instance)
