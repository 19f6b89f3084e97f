"""Human tasks: list, detail (with its form), claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.common import iso, json_body, principal, reading, runner, variables_of, writing
from server.auth.permissions import Principal
from server.errors import EngineError
from server.events import TaskStatus
from server.models import HumanTask
from server.queries import QueryArgs, page_request
from server.services import tasks as service
from server.services.field_access import hidden_fields, without


def task_json(row: HumanTask, detail: bool = False, who: Principal | None = None) -> dict[str, Any]:
    body = {
        "id": row.id,
        "name": row.name,
        "elementId": row.element_id,
        "instanceId": row.instance_id,
        "processKey": row.process_key,
        "businessKey": row.business_key,
        "status": row.status,
        "assignee": row.assignee,
        "candidateGroups": row.candidate_groups,
        "candidateUsers": row.candidate_users,
        "lane": row.lane,
        "createdAt": iso(row.created_at),
        "dueAt": iso(row.due_at),
        "completedAt": iso(row.completed_at),
        "completedBy": row.completed_by,
        "owner": row.owner,
        "delegation": row.delegation,
        "signers": list(row.signers or []),
        "signsFor": row.signs_for,
    }
    if detail:
        element = service.task_element(row)
        body["form"] = service.task_form(row, who) if who is not None else None
        body["uiSchema"] = element.get("uiSchema")
        body["instructions"] = element.get("instructions")
        hidden = hidden_fields(row)
        body["data"] = without(row.data, hidden)
        body["variables"] = without(row.instance.variables, hidden)
    return body


@api.get("/tasks")
def list_tasks() -> Any:
    who = principal()
    args = QueryArgs(request.args)
    order = service.TASK_SORTING.order(args.text("sort"), True if args.choice("order", ("asc", "desc")) == "desc"
                                       else None)
    f = service.TaskFilter(
        assignee=args.text("assignee"), candidate_group=args.text("candidateGroup"),
        candidate_user=args.text("candidateUser"), process_key=args.text("processKey"),
        instance_id=args.text("instanceId"), view=args.choice("view", service.TASK_VIEWS),
        status=args.choice("status", service.TASK_STATUSES, TaskStatus.OPEN if args.text("view") in (None, "todo")
                           else None),
        sort=order.name, descending=order.descending,
    )
    paging = page_request(args)
    with reading() as session:
        return service.list_tasks(session, who, f, paging).to_json(task_json)


@api.get("/tasks/<task_id>")
def get_task(task_id: str) -> Any:
    who = principal()
    with reading() as session:
        task = service.get_task(session, who, task_id)
        return task_json(task, detail=True, who=who)


@api.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> Any:
    who = principal()
    with writing() as session:
        return task_json(service.claim(session, runner(), who, task_id))


@api.post("/tasks/<task_id>/unclaim")
def unclaim_task(task_id: str) -> Any:
    who = principal()
    with writing() as session:
        return task_json(service.unclaim(session, runner(), who, task_id))


@api.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Any:
    who = principal()
    variables = variables_of(json_body())
    try:
        with writing() as session:
            task = service.complete(session, runner(), who, task_id, variables)
            return {**task_json(task), "nextTasks": [task_json(t) for t in service.next_tasks(session, who,
                                                                                             task.instance_id)]}
    except EngineError as exc:
        with writing() as session:
            service.record_failed_completion(session, who, task_id, exc)
        raise
