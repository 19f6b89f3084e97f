"""OpenAPI entries for operating instances and for messages and signals (merged by openapi.py)."""

from __future__ import annotations

from typing import Any

from server.api.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    BUSINESS_KEY,
    DATE_TIME,
    INTEGER,
    STRING,
    VARIABLES,
    VERSION_NUMBER,
    Schema,
    body,
    nullable,
    obj,
    op,
    p,
)

ADMIN = "Needs the admin role. Audited."

SCHEMAS: dict[str, Schema] = {
    "VariablesRequest": obj({"variables": {**VARIABLES, "minProperties": 1,
                                           "description": "Variables to set (merged)"}}),
    "MigrateRequest": obj({"versionId": {**nullable(VERSION_NUMBER),
                                         "description": "Target process version id; null or absent: the "
                                                        "latest version of the instance's process"}},
                          optional=("versionId",)),
    "BulkMigrateRequest": obj({"instanceIds": {"type": "array", "items": STRING, "minItems": 1, "maxItems": 1000},
                               "versionId": nullable(VERSION_NUMBER)}, optional=("versionId",)),
    "BulkMigrateResult": obj({
        "migrated": INTEGER,
        "results": {"type": "array", "items": obj({"id": STRING, "ok": BOOLEAN, "version": INTEGER,
                                                   "error": ANY_OBJECT}, optional=("version", "error"))},
    }),
    "TaskPatch": obj({"assignee": nullable(STRING), "dueAt": nullable(DATE_TIME)}, optional=("assignee", "dueAt"),
                     minProperties=1),
    "MessageRequest": obj({
        "name": {**STRING, "minLength": 1, "maxLength": 255, "description": "The BPMN message name"},
        "businessKey": BUSINESS_KEY,
        "correlationKeys": {**ANY_OBJECT, "description": "Instance variables that must have these values"},
        "variables": VARIABLES,
        "allowNoMatch": {**BOOLEAN, "description": "200 instead of 404 when nothing receives it"},
    }, optional=("businessKey", "correlationKeys", "variables", "allowNoMatch")),
    "SignalRequest": obj({"name": STRING, "variables": VARIABLES}, optional=("variables",)),
    "EventResult": obj({
        "name": STRING,
        "instances": {"type": "array", "items": STRING, "description": "Waiting instances it reached"},
        "started": {"type": "array", "items": STRING, "description": "Instances its start events started"},
    }),
}


def _instance_op(op_id: str, summary: str, description: str, request: Schema | None = None,
                 detail: bool = False) -> Schema:
    return op(op_id, "instances", summary,
              {200: ("The instance afterwards", "ProcessInstanceDetail" if detail else "ProcessInstance")},
              (400, 401, 403, 404, 409), [p("instance_id")], request, description)


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/process-instances/{instance_id}/suspend": {"post": _instance_op(
            "suspendProcessInstance", "Suspend: no task completion, timer or message until resumed", ADMIN)},
        "/api/v1/process-instances/{instance_id}/resume": {"post": _instance_op(
            "resumeProcessInstance", "Resume; timers that fell due meanwhile fire once", ADMIN)},
        "/api/v1/process-instances/{instance_id}/retry": {"post": _instance_op(
            "retryProcessInstance", "Run the element of an incident again", ADMIN, detail=True)},
        "/api/v1/process-instances/{instance_id}/variables": {"patch": _instance_op(
            "patchProcessInstanceVariables", "Correct variables (merged into what runs next)", ADMIN,
            body("VariablesRequest", "The variables to set"), detail=True)},
        "/api/v1/process-instances/{instance_id}/migrate": {"post": _instance_op(
            "migrateProcessInstance", "Move to another version of its process, matching elements by id",
            ADMIN + " 409 names the active elements the target lacks.",
            body("MigrateRequest", "The target version; default: latest"))},
        "/api/v1/process-instances/migrate": {"post": op(
            "migrateProcessInstances", "instances", "Migrate many instances, each on its own",
            {200: ("One result per instance", "BulkMigrateResult")}, (400, 401, 403),
            request=body("BulkMigrateRequest", "Instance ids and an optional target version"),
            description=ADMIN)},
        "/api/v1/tasks/{task_id}": {"patch": op(
            "patchTask", "tasks", "Reassign a task or change its due date",
            {200: ("The task", "Task")}, (400, 401, 403, 404, 409), [p("task_id")],
            body("TaskPatch", "assignee and/or dueAt; null clears"), ADMIN)},
        "/api/v1/messages": {"post": op(
            "sendMessage", "events", "Correlate a message to a waiting instance, or start a process on it",
            {200: ("Where it went", "EventResult")}, (400, 401, 403, 404, 413),
            request=body("MessageRequest", "Name, correlation and variables"),
            description="Needs the admin role. 404 when nothing receives it, unless allowNoMatch.")},
        "/api/v1/signals": {"post": op(
            "sendSignal", "events", "Broadcast a signal to every waiting instance and signal start event",
            {200: ("Where it went", "EventResult")}, (400, 401, 403, 413),
            request=body("SignalRequest", "Name and variables"), description="Needs the admin role.")},
    }
