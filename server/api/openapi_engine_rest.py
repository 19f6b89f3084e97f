"""The OpenAPI entries of /engine-rest (server/api/engine_rest.py), merged into the one document."""

from __future__ import annotations

from typing import Any

from server.api.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    STRING,
    STRINGS,
    Schema,
    body,
    json_content,
    nullable,
    obj,
    op,
    param,
    query,
)
from server.services.external_tasks import MAX_LOCK_MS, MAX_TASKS, MAX_WAIT_MS

TAG = "camunda"
TYPED_VARIABLES = {"type": "object", "description": 'Camunda typed variables: {"x": {"value": 1, "type": "Integer"}}',
                   "additionalProperties": obj({"value": {}, "type": STRING, "valueInfo": ANY_OBJECT},
                                               optional=("type", "valueInfo"))}
WORKER = {**STRING, "minLength": 1, "maxLength": 255}
LOCK_MS = {"type": "integer", "minimum": 1, "maximum": MAX_LOCK_MS}
TASK_PROPS: dict[str, Schema] = {
    name: nullable(STRING) for name in (
        "workerId", "lockExpirationTime", "errorMessage", "errorDetails", "businessKey", "tenantId",
        "processDefinitionVersionTag", "createTime")
} | {"id": STRING, "topicName": STRING, "retries": nullable(INTEGER), "priority": INTEGER, "activityId": STRING,
     "activityInstanceId": STRING, "executionId": STRING, "processInstanceId": STRING,
     "processDefinitionKey": STRING, "processDefinitionId": STRING, "suspended": BOOLEAN}

SCHEMAS: dict[str, Schema] = {
    "CamundaExternalTask": obj(TASK_PROPS),
    "CamundaLockedExternalTask": obj({**TASK_PROPS, "variables": TYPED_VARIABLES,
                                      "extensionProperties": {"type": "object", "additionalProperties": STRING}},
                                     optional=("extensionProperties",)),
    "CamundaFetchAndLock": obj({
        "workerId": WORKER, "maxTasks": {"type": "integer", "minimum": 0, "maximum": MAX_TASKS},
        "usePriority": BOOLEAN,
        "asyncResponseTimeout": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                                 "description": f"Long polling, in ms; BOMS answers after at most {MAX_WAIT_MS}"},
        "sorting": {"type": "array", "maxItems": 1, "items": obj({"sortBy": {"enum": ["createTime"]},
                                                                  "sortOrder": {"enum": ["asc", "desc"]}})},
        "topics": {"type": "array", "minItems": 1, "items": obj({
            "topicName": WORKER, "lockDuration": LOCK_MS, "variables": nullable(STRINGS), "localVariables": BOOLEAN,
            "businessKey": nullable(STRING), "processDefinitionKey": nullable(STRING),
            "processDefinitionKeyIn": nullable(STRINGS), "processVariables": ANY_OBJECT,
            "deserializeValues": BOOLEAN, "includeExtensionProperties": BOOLEAN, "withoutTenantId": BOOLEAN,
        }, optional=("variables", "localVariables", "businessKey", "processDefinitionKey", "processDefinitionKeyIn",
                     "processVariables", "deserializeValues", "includeExtensionProperties", "withoutTenantId"),
            additionalProperties=False)},
    }, optional=("usePriority", "asyncResponseTimeout", "sorting"), additionalProperties=False),
    "CamundaComplete": obj({"workerId": WORKER, "variables": TYPED_VARIABLES, "localVariables": TYPED_VARIABLES},
                           optional=("variables", "localVariables"), additionalProperties=False),
    "CamundaFailure": obj({"workerId": WORKER, "errorMessage": nullable(STRING), "errorDetails": nullable(STRING),
                           "retries": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                           "retryTimeout": {"type": "integer", "minimum": 0, "maximum": MAX_LOCK_MS}},
                          optional=("errorMessage", "errorDetails", "retryTimeout"), additionalProperties=False),
    "CamundaBpmnError": obj({"workerId": WORKER, "errorCode": WORKER, "errorMessage": nullable(STRING),
                             "variables": TYPED_VARIABLES}, optional=("errorMessage", "variables"),
                            additionalProperties=False),
    "CamundaExtendLock": obj({"workerId": WORKER, "newDuration": LOCK_MS}, additionalProperties=False),
    "CamundaStart": obj({"variables": TYPED_VARIABLES, "businessKey": nullable(STRING),
                         "withVariablesInReturn": BOOLEAN, "skipCustomListeners": BOOLEAN,
                         "skipIoMappings": BOOLEAN}, optional=("variables", "businessKey", "withVariablesInReturn",
                                                               "skipCustomListeners", "skipIoMappings"),
                        additionalProperties=False),
    "CamundaProcessInstance": obj({"id": STRING, "definitionId": STRING, "businessKey": nullable(STRING),
                                   "caseInstanceId": nullable(STRING), "ended": BOOLEAN, "suspended": BOOLEAN,
                                   "tenantId": nullable(STRING), "links": {"type": "array"},
                                   "variables": TYPED_VARIABLES}, optional=("variables",)),
    "CamundaProcessDefinition": obj({"id": STRING, "key": STRING, "name": nullable(STRING), "version": INTEGER},
                                    additionalProperties=True),
    "CamundaTypedVariables": TYPED_VARIABLES,
}
WORKER_DOC = ("Needs the worker role. Authenticate with a BOMS API token: `Authorization: Bearer TOKEN`, or HTTP "
              "Basic with the user's name and the token as the password. Camunda 7's protocol; errors carry "
              "Camunda's `type` and `message` beside BOMS's `error`.")
TASK_ID = param("task_id", "path", STRING, "The external task's id")


def paths() -> dict[str, dict[str, Any]]:
    array_of = {"type": "array", "items": {"$ref": "#/components/schemas/CamundaExternalTask"}}
    locked = {"type": "array", "items": {"$ref": "#/components/schemas/CamundaLockedExternalTask"}}
    actions = {
        "complete": ("completeExternalTask", "Complete a locked external task with variables", "CamundaComplete",
                     " Output parameters of the task, if any, map the variables to process variables."),
        "failure": ("failExternalTask", "Report a failure: retries left make it fetchable after retryTimeout ms; "
                    "retries 0 is an incident", "CamundaFailure", ""),
        "bpmnError": ("bpmnErrorExternalTask", "Throw a BPMN error from the task (an error boundary event catches "
                      "it; none: an incident)", "CamundaBpmnError", ""),
        "extendLock": ("extendExternalTaskLock", "Extend the worker's lock by newDuration ms from now",
                       "CamundaExtendLock", ""),
    }
    result: dict[str, dict[str, Any]] = {
        "/engine-rest/external-task/fetchAndLock": {"post": op(
            "fetchAndLockExternalTasks", TAG, "Fetch and lock external tasks of topics (long polling)",
            {200: ("The tasks locked for the worker, with their variables", json_content(locked))}, (401, 403),
            None, {**body("CamundaFetchAndLock", "Worker, topics and lock durations"), "required": True},
            WORKER_DOC)},
        "/engine-rest/external-task": {"get": op(
            "listExternalTasks", TAG, "The external tasks waiting for workers",
            {200: ("External tasks", json_content(array_of))}, (401, 403),
            [query(n, f"Camunda's {n} filter") for n in ("externalTaskId", "topicName", "workerId",
                                                        "processInstanceId", "activityId")]
            + [query(n, f"Camunda's {n} filter", {"enum": ["true", "false"]}) for n in (
                "locked", "notLocked", "withRetriesLeft", "noRetriesLeft")]
            + [query(n, "Paging", {"type": "integer", "minimum": 0, "maximum": 10000})
               for n in ("firstResult", "maxResults")], None, WORKER_DOC)},
        "/engine-rest/external-task/{task_id}": {"get": op(
            "getExternalTask", TAG, "One external task", {200: ("The task", "CamundaExternalTask")}, (401, 403, 404),
            [TASK_ID], None, WORKER_DOC)},
        "/engine-rest/external-task/{task_id}/unlock": {"post": op(
            "unlockExternalTask", TAG, "Release the task's lock", {204: ("Done", {})}, (401, 403, 404), [TASK_ID],
            None, WORKER_DOC)},
        "/engine-rest/process-definition/key/{key}/start": {"post": op(
            "camundaStartProcess", TAG, "Start the latest version of a process (Camunda's typed variables)",
            {200: ("The instance", "CamundaProcessInstance")}, (401, 403, 404, 409),
            [param("key", "path", STRING, "The process key")],
            {**body("CamundaStart", "Variables and business key"), "required": False},
            "The same checks as POST /api/v1/process-definitions/{key}/start (staff or admin, candidate "
            "starters, the start form).")},
        "/engine-rest/process-definition/key/{key}": {"get": op(
            "camundaGetProcessDefinition", TAG, "The latest version of a process",
            {200: ("The definition", "CamundaProcessDefinition")}, (401, 404),
            [param("key", "path", STRING, "The process key")])},
        "/engine-rest/process-instance/{instance_id}": {"get": op(
            "camundaGetProcessInstance", TAG, "A process instance", {200: ("The instance", "CamundaProcessInstance")},
            (401, 403, 404), [param("instance_id", "path", STRING, "The process instance id")])},
        "/engine-rest/process-instance/{instance_id}/variables": {"get": op(
            "camundaGetVariables", TAG, "A process instance's variables, typed",
            {200: ("The variables", "CamundaTypedVariables")}, (401, 403, 404),
            [param("instance_id", "path", STRING, "The process instance id")])},
    }
    for name, (op_id, summary, schema, extra) in actions.items():
        result[f"/engine-rest/external-task/{{task_id}}/{name}"] = {"post": op(
            op_id, TAG, summary, {204: ("Done", {})}, (401, 403, 404, 409), [TASK_ID],
            {**body(schema, summary), "required": True}, WORKER_DOC + extra)}
    return result
