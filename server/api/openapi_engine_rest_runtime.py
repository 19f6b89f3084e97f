"""The OpenAPI entries of the engine-rest runtime calls (server/api/engine_rest_runtime.py)."""

from __future__ import annotations

from typing import Any

from server.api.openapi import ANY_OBJECT, BOOLEAN, STRING, Schema, body, json_content, obj, op, param, query
from server.api.openapi_engine_rest import TAG, TYPED_VARIABLES
from server.services.camunda_deployments import FORM_FIELDS
from server.services.camunda_runtime import MESSAGE_FIELDS

CLIENT_DOC = ("Authenticate with a BOMS API token (`Authorization: Bearer TOKEN`, or HTTP Basic with the user's name "
              "and the token). The same permission checks as BOMS's own API; a parameter or field BOMS does not "
              "implement is a 400 naming it.")
PAGING = [query(n, "Paging", {"type": "integer", "minimum": 0, "maximum": 10000})
          for n in ("firstResult", "maxResults")]
FLAG = {"enum": ["true", "false"]}
TASK_ID = param("task_id", "path", STRING, "The user task's id")
INSTANCE_ID = param("instance_id", "path", STRING, "The process instance id")

SCHEMAS: dict[str, Schema] = {
    "CamundaTask": obj({"id": STRING, "name": {"type": ["string", "null"]}, "assignee": {"type": ["string", "null"]},
                        "processInstanceId": STRING, "taskDefinitionKey": STRING}, additionalProperties=True),
    "CamundaHistoricInstance": obj({"id": STRING, "state": STRING, "processDefinitionKey": STRING},
                                   additionalProperties=True),
    "CamundaHistoricTask": obj({"id": STRING, "processInstanceId": STRING, "taskDefinitionKey": STRING},
                               additionalProperties=True),
    "CamundaTaskComplete": obj({"variables": TYPED_VARIABLES, "withVariablesInReturn": BOOLEAN},
                               optional=("variables", "withVariablesInReturn"), additionalProperties=False),
    "CamundaClaim": obj({"userId": STRING}, additionalProperties=False),
    "CamundaMessage": obj({"messageName": STRING, "businessKey": STRING, "correlationKeys": TYPED_VARIABLES,
                           "processVariables": TYPED_VARIABLES, "resultEnabled": BOOLEAN, "all": BOOLEAN},
                          optional=tuple(MESSAGE_FIELDS - {"messageName"}), additionalProperties=False),
    "CamundaSignal": obj({"name": STRING, "variables": TYPED_VARIABLES}, optional=("variables",),
                         additionalProperties=False),
    "CamundaDeployment": obj({"id": {"type": ["string", "null"]}, "deployedProcessDefinitions": {
        "type": ["object", "null"]}}, additionalProperties=True),
}


def _list(schema: str) -> Schema:
    return json_content({"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}})


def paths() -> dict[str, dict[str, Any]]:
    no_content = {204: ("Done", {})}
    return {
        "/engine-rest/task": {"get": op(
            "camundaListTasks", TAG, "Open user tasks the caller may see", {200: ("Tasks", _list("CamundaTask"))},
            (401,), [query(n, f"Camunda's {n} filter") for n in (
                "assignee", "candidateGroup", "candidateUser", "processInstanceId", "processDefinitionKey",
                "taskDefinitionKey")] + [query(n, f"Camunda's {n} filter", FLAG) for n in ("unassigned", "assigned")]
            + [query("sortBy", "created or dueDate", {"enum": ["created", "dueDate"]}),
               query("sortOrder", "asc or desc", {"enum": ["asc", "desc"]})] + PAGING, None, CLIENT_DOC)},
        "/engine-rest/task/{task_id}": {"get": op(
            "camundaGetTask", TAG, "One user task", {200: ("The task", "CamundaTask")}, (401, 403, 404), [TASK_ID],
            None, CLIENT_DOC)},
        "/engine-rest/task/{task_id}/form-variables": {"get": op(
            "camundaTaskFormVariables", TAG, "The task form's fields with their current or default values",
            {200: ("Typed variables", "CamundaTypedVariables")}, (401, 403, 404),
            [TASK_ID, query("variableNames", "Comma-separated field names")], None, CLIENT_DOC)},
        "/engine-rest/task/{task_id}/deployed-form": {"get": op(
            "camundaTaskDeployedForm", TAG, "The Camunda Form (.form JSON) the task links, as deployed",
            {200: ("The form-js JSON", {"application/json": {"schema": {"type": "object"}}})}, (401, 403, 404),
            [TASK_ID], None, CLIENT_DOC)},
        "/engine-rest/task/{task_id}/claim": {"post": op(
            "camundaClaimTask", TAG, "Claim the task for the caller (userId must be the caller)", no_content,
            (401, 403, 404, 409), [TASK_ID], {**body("CamundaClaim", "The caller's user name"), "required": True},
            CLIENT_DOC)},
        "/engine-rest/task/{task_id}/unclaim": {"post": op(
            "camundaUnclaimTask", TAG, "Give the task back to its candidates", no_content, (401, 403, 404, 409),
            [TASK_ID], None, CLIENT_DOC)},
        "/engine-rest/task/{task_id}/complete": {"post": op(
            "camundaCompleteTask", TAG, "Complete the task; the variables are validated by its form",
            {200: ("The instance's variables (withVariablesInReturn)", "CamundaTypedVariables"), 204: ("Done", {})},
            (401, 403, 404, 409), [TASK_ID], body("CamundaTaskComplete", "Typed variables"), CLIENT_DOC)},
        "/engine-rest/process-definition": {"get": op(
            "camundaListProcessDefinitions", TAG, "Deployed process versions",
            {200: ("Definitions", _list("CamundaProcessDefinition"))}, (401,),
            [query("key", "A process key"), query("latestVersion", "Only each key's latest version", FLAG)] + PAGING,
            None, CLIENT_DOC)},
        "/engine-rest/process-instance": {"get": op(
            "camundaListProcessInstances", TAG, "Running instances the caller may see",
            {200: ("Instances", _list("CamundaProcessInstance"))}, (401,),
            [query("processDefinitionKey", "A process key"), query("businessKey", "A business key")] + PAGING,
            None, CLIENT_DOC)},
        "/engine-rest/process-instance/{instance_id}": {"delete": op(
            "camundaDeleteProcessInstance", TAG, "Cancel an instance (its starter or an admin)", no_content,
            (401, 403, 404, 409), [INSTANCE_ID] + [query(n, "Only false is supported", FLAG) for n in (
                "skipCustomListeners", "skipIoMappings", "skipSubprocesses")]
            + [query("failIfNotExists", "Only true is supported", FLAG)], None, CLIENT_DOC)},
        "/engine-rest/message": {"post": op(
            "camundaCorrelateMessage", TAG, "Correlate a message to the waiting instance or start a process (admins)",
            {200: ("The correlation results (resultEnabled)", json_content({"type": "array", "items": ANY_OBJECT})),
             204: ("Done", {})}, (401, 403, 404), None, {**body("CamundaMessage", "The message"), "required": True},
            CLIENT_DOC)},
        "/engine-rest/signal": {"post": op(
            "camundaThrowSignal", TAG, "Throw a signal to every waiting instance and signal start event (admins)",
            no_content, (401, 403), None, {**body("CamundaSignal", "The signal"), "required": True}, CLIENT_DOC)},
        "/engine-rest/deployment/create": {"post": op(
            "camundaCreateDeployment", TAG, "Deploy .bpmn/.dmn/.form files (multipart, deployers only)",
            {200: ("The deployment", "CamundaDeployment")}, (401, 403, 422), None,
            {"required": True, "description": f"Form fields {', '.join(sorted(FORM_FIELDS))} and any file parts",
             "content": {"multipart/form-data": {"schema": {"type": "object"}}}}, CLIENT_DOC)},
        "/engine-rest/history/process-instance": {"get": op(
            "camundaHistoricInstances", TAG, "Instances the caller may see, ended ones too",
            {200: ("Instances", _list("CamundaHistoricInstance"))}, (401,),
            [query(n, f"Camunda's {n} filter") for n in ("processInstanceId", "processDefinitionKey",
                                                        "processInstanceBusinessKey", "startedBy")]
            + [query(n, f"Camunda's {n} filter", FLAG) for n in ("finished", "unfinished")] + PAGING,
            None, CLIENT_DOC)},
        "/engine-rest/history/process-instance/{instance_id}": {"get": op(
            "camundaHistoricInstance", TAG, "One instance, ended or not",
            {200: ("The instance", "CamundaHistoricInstance")}, (401, 403, 404), [INSTANCE_ID], None, CLIENT_DOC)},
        "/engine-rest/history/task": {"get": op(
            "camundaHistoricTasks", TAG, "User tasks the caller may see, open and ended",
            {200: ("Tasks", _list("CamundaHistoricTask"))}, (401,),
            [query(n, f"Camunda's {n} filter") for n in ("processInstanceId", "processDefinitionKey",
                                                        "taskAssignee", "taskDefinitionKey")]
            + [query(n, f"Camunda's {n} filter", FLAG) for n in ("finished", "unfinished")] + PAGING,
            None, CLIENT_DOC)},
    }
