"""Process instances: list, detail, history, cancel."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.common import iso, json_body, principal, reading, runner, writing
from server.api.tasks import task_json
from server.events import TaskStatus
from server.models import STATUSES, AuditEvent, HumanTask, ProcessInstance
from server.queries import QueryArgs, page_request
from server.services import instances as service
from server.services.audit_log import event_json
from server.services.field_access import hidden_for, without


def instance_json(row: ProcessInstance, tasks: list[HumanTask] | None = None,
                  hidden: set[str] | None = None) -> dict[str, Any]:
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
        body["variables"] = without(row.variables, hidden or set())
        body["visitedElements"] = row.visited_elements
        body["openTasks"] = [task_json(t) for t in tasks if t.status == TaskStatus.OPEN]
        body["error"] = row.error
    return body


@api.get("/process-instances")
def list_instances() -> Any:
    who = principal()
    args = QueryArgs(request.args)
    f = service.InstanceFilter(
        status=args.choice("status", STATUSES), key=args.text("key"), business_key=args.text("businessKey"),
        started_by=args.text("startedBy"), started_after=args.moment("startedAfter"),
        started_before=args.moment("startedBefore"),
    )
    paging = page_request(args)
    with reading() as session:
        return service.list_instances(session, who, f, paging).to_json(instance_json)


@api.get("/process-instances/<instance_id:instance_id>")
def get_instance(instance_id: str) -> Any:
    who = principal()
    with reading() as session:
        instance, tasks = service.get_instance(session, who, instance_id)
        return instance_json(instance, tasks, hidden_for(who, instance, tasks))


@api.get("/process-instances/<instance_id>/history")
def instance_history(instance_id: str) -> Any:
    who = principal()
    with reading() as session:
        events: list[AuditEvent] = service.history(session, who, instance_id)
        instance, tasks = service.get_instance(session, who, instance_id)
        hidden = hidden_for(who, instance, tasks)
        return {"items": [_without_hidden(event_json(e), hidden) for e in events], "total": len(events)}


def _without_hidden(event: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """Field permissions (services/field_access.py): values this reader may not see leave the events too."""
    data = event.get("data")
    if not hidden or not isinstance(data, dict):
        return event
    return {**event, "data": {k: without(v, hidden) if k in ("variables", "result") and isinstance(v, dict) else v
                              for k, v in data.items()}}


@api.post("/process-instances/<instance_id>/cancel")
def cancel_instance(instance_id: str) -> Any:
    who = principal()
    reason = json_body().get("reason")
    with writing() as session:
        instance = service.cancel(session, runner(), who, instance_id, reason if isinstance(reason, str) else None)
        return instance_json(instance)
