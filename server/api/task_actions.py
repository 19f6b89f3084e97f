"""Approval actions on a task (transfer so far): routes and their OpenAPI entries (merged by openapi.py)."""

from __future__ import annotations

from typing import Any

from server.api import api
from server.api.common import json_body, principal, runner, writing
from server.api.openapi import STRING, Schema, body, obj, op, p
from server.api.tasks import task_json
from server.services import task_actions as service

SCHEMAS: dict[str, Schema] = {
    "TransferRequest": obj({"user": {**STRING, "description": "The active user who takes the task over"},
                            "comment": {**STRING, "maxLength": service.MAX_COMMENT}}, optional=("comment",)),
}


@api.post("/tasks/<task_id>/transfer")
def transfer_task(task_id: str) -> Any:
    who = principal()
    data = json_body()
    with writing() as session:
        return task_json(service.transfer(session, runner(), who, task_id, data.get("user"), data.get("comment")))


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/tasks/{task_id}/transfer": {"post": op(
            "transferTask", "tasks", "Transfer (转交) the task to another user, who becomes its assignee",
            {200: ("The task afterwards", "Task")}, (400, 401, 403, 404, 409), [p("task_id")],
            {**body("TransferRequest", "Who takes the task over, and why"), "required": True},
            "Allowed to whoever may complete the task, unless the user task has the property "
            "allowTransfer=false. Audited as task.transferred with the comment.")},
    }
