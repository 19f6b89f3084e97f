"""The OpenAPI 3.1 description of /api/v1, served without authentication at GET /api/v1/openapi.json.

The document is built here, next to the routes it describes; tests/server/test_openapi.py checks that
it lists exactly the blueprint's routes and that real responses match its schemas. This module holds
the helpers and the core paths; server/api/openapi_document.py assembles the document from every part
the engines registered (server/plugins.py).
"""

from __future__ import annotations

from typing import Any

from server.events import TaskStatus
from server.models import STATUSES
from server.queries import ID_MAX, INT64_MAX, MAX_PAGE_SIZE

TASK_STATUSES = tuple(TaskStatus)
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if "type" in schema and "$ref" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], optional: tuple[str, ...] = (), **extra: Any) -> Schema:
    """An object whose properties are all present unless named in `optional`."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties, **extra}


STRING = {"type": "string"}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}
DATE_TIME = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601, suffixed Z"}
STRINGS = {"type": "array", "items": STRING}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
VARIABLES = {**ANY_OBJECT, "description": "Process variables by name (limits: README, 'Limits on input')"}
VERSION_NUMBER = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}  # an INTEGER column
BUSINESS_KEY = {"type": "string", "maxLength": 255}

TASK_PROPS: dict[str, Schema] = {
    "id": {"type": "string", "format": "uuid"},
    "name": nullable(STRING),
    "elementId": {**STRING, "description": "The BPMN user task's id"},
    "instanceId": {"type": "string", "format": "uuid"},
    "processKey": STRING,
    "businessKey": nullable(STRING),
    "status": {"type": "string", "enum": list(TASK_STATUSES)},
    "assignee": nullable(STRING),
    "candidateGroups": STRINGS,
    "candidateUsers": STRINGS,
    "lane": nullable(STRING),
    "createdAt": DATE_TIME,
    "dueAt": nullable(DATE_TIME),
    "completedAt": nullable(DATE_TIME),
    "completedBy": nullable(STRING),
    "owner": nullable({**STRING, "description": "Who delegated the task or added signers before them; it comes "
                                                "back to them on resolve"}),
    "delegation": {"type": ["string", "null"],
                   "enum": ["delegated", "before", "after", "parallel", "substitute", None],
                   "description": "delegated or before: with a delegate or added signer for the owner; after: "
                                  "signers follow; parallel: signers beside the assignee (tasks whose signsFor is "
                                  "this one) must act too; substitute: the owner is out of office"},
    "signers": {**STRINGS, "description": "Signers added (加签) still to act on this step, in order"},
    "signsFor": nullable({**STRING, "description": "A signer's part of a countersigned step (加签 parallel): the "
                                                   "id of the step's task, whose assignee they sign beside"}),
}
INSTANCE_PROPS: dict[str, Schema] = {
    "id": {"type": "string", "format": "uuid"},
    "processKey": STRING,
    "processVersion": {"type": "integer", "minimum": 1},
    "businessKey": nullable(STRING),
    "status": {"type": "string", "enum": list(STATUSES)},
    "startedAt": DATE_TIME,
    "startedBy": nullable(STRING),
    "endedAt": nullable(DATE_TIME),
    "activeElements": {**STRINGS, "description": "Ids of the BPMN elements the instance waits in"},
}


def page_of(item: str, paged: bool = True) -> Schema:
    props: dict[str, Schema] = {
        "items": {"type": "array", "items": ref(item)},
        "total": {"type": "integer", "minimum": 0, "description": "Matches, all pages (numbered pages only)"},
    }
    if not paged:
        return obj(props)
    props["page"] = {"type": "integer", "minimum": 1, "description": "Numbered pages only"}
    props["pageSize"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
    props["nextCursor"] = nullable({**STRING, "description": "Pass as `cursor` for the next page; null on the last"})
    return obj(props, optional=("total", "page"))


SCHEMAS: dict[str, Schema] = {
    "JsonSchema": {**ANY_OBJECT, "description": "A JSON Schema (draft 2020-12) describing a form's fields"},
    "ProcessDefinition": obj({
        "id": INTEGER,
        "key": {**STRING, "description": "The BPMN process id"},
        "version": {"type": "integer", "minimum": 1},
        "name": nullable(STRING),
        "latest": BOOLEAN,
        "fileName": STRING,
        "deployedAt": DATE_TIME,
        "deployedBy": STRING,
        "deploymentId": INTEGER,
        "startForm": nullable(ref("JsonSchema")),
        "candidateStarters": {**STRINGS, "description": "`group:NAME` or `user:NAME`; empty: any staff"},
        "userTasks": {"type": "object", "description": "The user tasks by element id", "additionalProperties":
                      obj({"name": nullable(STRING), "form": nullable(ref("JsonSchema"))})},
        "instanceCount": {"type": "integer", "minimum": 0},
    }),
    "ProcessInstance": obj(INSTANCE_PROPS),
    "ProcessInstanceDetail": obj({
        **INSTANCE_PROPS,
        "variables": VARIABLES,
        "visitedElements": {**STRINGS, "description": "Ids of the elements and sequence flows passed so far"},
        "openTasks": {"type": "array", "items": ref("Task")},
        "error": nullable(ANY_OBJECT),
    }),
    "Task": obj(TASK_PROPS),
    "CompletedTask": obj({**TASK_PROPS, "nextTasks": {"type": "array", "items": ref("Task")}}),
    "TaskDetail": obj({
        **TASK_PROPS,
        "form": ref("JsonSchema"),
        "uiSchema": nullable({**ANY_OBJECT, "description": "react-jsonschema-form uiSchema"}),
        "instructions": nullable(STRING),
        "data": nullable({**ANY_OBJECT, "description": "The variables submitted when it was completed"}),
        "variables": VARIABLES,
    }),
    "AuditEvent": obj({
        "seq": {"type": "integer", "minimum": 1},
        "at": DATE_TIME,
        "actor": STRING,
        "kind": {**STRING, "examples": ["instance.started", "task.completed", "deployment.created"]},
        "instanceId": nullable(STRING),
        "taskId": nullable(STRING),
        "elementId": nullable(STRING),
        "data": ANY_OBJECT,
        "subjectType": nullable({**STRING, "examples": ["instance", "task", "user", "deployment"]}),
        "subjectId": nullable(STRING),
        "chain": {"type": "integer", "minimum": 1, "description": "Which of the audit chains holds it"},
        "chainSeq": {"type": "integer", "minimum": 1, "description": "Its place in that chain"},
        "hashVersion": {"type": "integer", "enum": [1, 2, 3],
                        "description": "1: SHA-256 (before the keyed chain); 2: HMAC-SHA256 keyed; 3: 2, compact"},
        "hash": SHA256,
        "prevHash": SHA256,
    }),
    "VerifyResult": obj({
        "ok": BOOLEAN,
        "checked": {"type": "integer", "minimum": 0, "description": "Rows checked"},
        "problems": {"type": "array", "items": obj({"seq": INTEGER, "problem": STRING})},
    }),
    "DeploymentResult": obj({
        "id": nullable({**INTEGER, "description": "null when nothing changed"}),
        "changed": {**BOOLEAN, "description": "Whether any new version was created"},
        "processes": {"type": "array", "items": obj({"key": STRING, "version": INTEGER,
                                                     "name": nullable(STRING), "created": BOOLEAN})},
        "decisions": {"type": "array", "items": obj({"key": STRING, "version": INTEGER, "created": BOOLEAN})},
    }),
    "MatchedRule": obj({
        "rule": {**STRING, "description": "The rule's id"},
        "index": {**INTEGER, "description": "The rule's row in the table, from 1"},
        "description": nullable(STRING),
        "annotations": {**STRINGS, "description": "DMN 1.3 annotation entries of the rule"},
        "outputs": {**ANY_OBJECT, "description": "This rule's output values by output name"},
    }),
    "EvaluatedDecision": obj({
        "decision": STRING,
        "name": nullable(STRING),
        "hitPolicy": nullable({**STRING, "description": "e.g. UNIQUE, COLLECT SUM; null for a literal expression"}),
        "result": {**ANY_OBJECT, "description": "Outputs by name: single hit, the value (null when no rule "
                   "matched); multi hit, a list of values; COLLECT SUM/MIN/MAX/COUNT, the aggregate"},
        "matchedRules": {"type": "array", "items": ref("MatchedRule"),
                         "description": "The rules that make up the result, in result order"},
    }),
    "DecisionResult": obj({
        "decision": STRING,
        "name": nullable(STRING),
        "version": INTEGER,
        "hitPolicy": nullable(STRING),
        "result": ANY_OBJECT,
        "matchedRules": {"type": "array", "items": ref("MatchedRule")},
        "requiredDecisions": {"type": "array", "items": ref("EvaluatedDecision"),
                              "description": "Decisions this one requires (DRD), in evaluation order"},
    }),
    "Error": obj({"error": obj({
        "code": {**STRING, "examples": [
            "bad_request", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large",
            "deploy_error", "validation_error", "engine_error"]},
        "message": STRING,
        "field": nullable(STRING),
        "fields": {"type": "object", "additionalProperties": STRING, "description": "Form errors by field"},
        "file": nullable(STRING),
        "element": nullable(STRING),
        "line": nullable(INTEGER),
        "decision": nullable(STRING),
    }, optional=("field", "fields", "file", "element", "line", "decision"), additionalProperties=True)}),
    "StartRequest": obj({
        "variables": VARIABLES,
        "businessKey": BUSINESS_KEY,
        "version": {**VERSION_NUMBER, "description": "Default: the latest version"},
    }, optional=("variables", "businessKey", "version")),
    "CompleteRequest": obj({"variables": VARIABLES}, optional=("variables",)),
    "EvaluateRequest": obj({
        "variables": VARIABLES,
        "version": {**VERSION_NUMBER, "description": "Default: the latest version"},
    }, optional=("variables", "version")),
    "CancelRequest": obj({"reason": STRING}, optional=("reason",)),
    "ProcessDefinitionList": page_of("ProcessDefinition", paged=False),
    "AuditEventList": page_of("AuditEvent", paged=False),
    "ProcessInstancePage": page_of("ProcessInstance"),
    "TaskPage": page_of("Task"),
    "AuditEventPage": page_of("AuditEvent"),
}

ERRORS = {
    400: ("BadRequest", "The request is malformed: bad JSON, a bad query parameter or field, or text no database "
                        "can store (NUL characters, lone surrogates), even where the schema allows the string"),
    401: ("Unauthorized", "No API token, or an unknown or revoked one"),
    403: ("Forbidden", "The caller's roles or groups do not allow this"),
    404: ("NotFound", "The named resource does not exist"),
    409: ("Conflict", "The task or instance is no longer open, or a concurrent request changed the same data"),
    413: ("PayloadTooLarge", "The request body is larger than BOMS_MAX_UPLOAD_BYTES"),
    422: ("Unprocessable", "Not acceptable: invalid form data, an undeployable file, an engine error, a value "
                           "beyond BOMS's limits (nesting depth, size, NUL in a variable name)"),
}


def param(name: str, where: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


def query(name: str, description: str, schema: Schema = STRING) -> Schema:
    return param(name, "query", schema, description)


PARAMETERS: dict[str, Schema] = {
    "key": param("key", "path", STRING, "The process or decision key (its BPMN/DMN id)"),
    "instance_id": param("instance_id", "path", STRING, "The process instance id"),
    "task_id": param("task_id", "path", STRING, "The task id"),
    "version": query("version", "A version number; default: the latest version", ID_SCHEMA),
    "page": query("page", "1-based page number; not with `cursor`",
                  {"type": "integer", "minimum": 1, "maximum": INT64_MAX, "default": 1}),
    "pageSize": query("pageSize", f"Items per page, 1..{MAX_PAGE_SIZE}",
                      {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50}),
    "cursor": query("cursor", "The `nextCursor` of the previous page: the page after it, without a total, at the "
                    "same cost however deep (keyset paging); the sort must stay the same"),
}


def p(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def body(schema: str, description: str) -> Schema:
    return {"required": False, "description": description, "content": json_content(ref(schema))}


def op(op_id: str, tag: str, summary: str, ok: dict[int, tuple[str, Schema | str]], errors: tuple[int, ...],
       params: list[Schema] | None = None, request: Schema | None = None, description: str = "") -> Schema:
    responses: dict[str, Schema] = {}
    for status, (text, schema) in ok.items():
        content = json_content(ref(schema)) if isinstance(schema, str) else schema
        responses[str(status)] = {"description": text, "content": content}
    # Whatever takes input can refuse it: text no database stores (400) or values beyond the limits (422).
    refusals = {400} | ({422} if request else set()) if params or request else set()
    for status in sorted(set(errors) | refusals):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    operation: Schema = {"operationId": op_id, "tags": [tag], "summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if request:
        operation["requestBody"] = request
    return operation


TIME = {"type": "string", "format": "date-time"}
FILE = {"type": "string", "contentMediaType": "application/octet-stream"}
MULTIPART = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": FILE,
                            "description": ".bpmn, .bpmn20.xml, .dmn and .json (form schema) files"}},
    "additionalProperties": FILE,
}}}
START_DOC = ("Needs the staff role (or admin), and membership of the process's candidate starters if it "
             "names any. Variables are validated against the start form if the process has one.")


def core_paths() -> dict[str, Schema]:
    return {
        "/api/v1/openapi.json": {"get": {
            **op("getOpenApi", "meta", "This document, public",
                 {200: ("The OpenAPI document", json_content(ANY_OBJECT))}, ()), "security": []}},
        "/api/v1/deployments": {"post": op(
            "createDeployment", "deployments", "Deploy BPMN/DMN files",
            {201: ("New versions were created", "DeploymentResult"),
             200: ("Every file equals its latest version; nothing was deployed", "DeploymentResult")},
            (400, 401, 403, 409, 413, 422),
            request={"required": True, "content": MULTIPART},
            description="Needs the admin or modeler role. All files of one upload are deployed together or "
                        "not at all; files under any other field name are deployed too.")},
        "/api/v1/process-definitions": {"get": op(
            "listProcessDefinitions", "definitions", "List process definition versions",
            {200: ("All versions, ordered by key and version", "ProcessDefinitionList")}, (401,),
            [query("key", "Only this process key"),
             query("latest", "Only the latest version of each key (1, true or yes)", BOOLEAN)])},
        "/api/v1/process-definitions/{key}": {"get": op(
            "getProcessDefinition", "definitions", "One process definition version",
            {200: ("The version", "ProcessDefinition")}, (400, 401, 404), [p("key"), p("version")])},
        "/api/v1/process-definitions/{key}/xml": {"get": op(
            "getProcessDefinitionXml", "definitions", "The deployed BPMN XML",
            {200: ("The BPMN file", {"application/xml": {"schema": STRING}})}, (400, 401, 404),
            [p("key"), p("version")])},
        "/api/v1/process-definitions/{key}/start": {"post": op(
            "startProcessInstance", "definitions", "Start a process instance",
            {201: ("The started instance, run to its first wait state", "ProcessInstanceDetail")},
            (400, 401, 403, 404, 409, 413, 422), [p("key")],
            body("StartRequest", "Start variables, business key, version"), START_DOC)},
        "/api/v1/process-instances": {"get": op(
            "listProcessInstances", "instances", "List the process instances the caller may see",
            {200: ("Newest first", "ProcessInstancePage")}, (400, 401),
            [query("status", "Only this status", {"type": "string", "enum": list(STATUSES)}),
             query("key", "Only this process key"), query("businessKey", "Only this business key"),
             query("startedBy", "Only started by this user"),
             query("startedAfter", "Started at or after this moment", TIME),
             query("startedBefore", "Started before this moment", TIME), p("page"), p("pageSize"), p("cursor")],
            description="Admins and auditors see all; others those they started or have a visible task in.")},
        "/api/v1/process-instances/{instance_id}": {"get": op(
            "getProcessInstance", "instances", "One process instance with variables and open tasks",
            {200: ("The instance", "ProcessInstanceDetail")}, (401, 403, 404), [p("instance_id")])},
        "/api/v1/process-instances/{instance_id}/history": {"get": op(
            "getProcessInstanceHistory", "instances", "The instance's audit events, oldest first",
            {200: ("All its events", "AuditEventList")}, (401, 403, 404), [p("instance_id")])},
        "/api/v1/process-instances/{instance_id}/cancel": {"post": op(
            "cancelProcessInstance", "instances", "Cancel a running instance",
            {200: ("The cancelled instance", "ProcessInstance")}, (400, 401, 403, 404, 409, 413),
            [p("instance_id")], body("CancelRequest", "An optional reason, kept in the audit log"),
            "Allowed to the user who started it and to admins.")},
        "/api/v1/tasks": {"get": op(
            "listTasks", "tasks", "List the tasks the caller may see",
            {200: ("A page of tasks", "TaskPage")}, (400, 401),
            [query("assignee", "`me` or a username"), query("candidateGroup", "Offered to this group"),
             query("candidateUser", "Offered to this user"), query("processKey", "Only this process key"),
             query("instanceId", "Only this process instance"),
             query("view", "todo (the default, also when empty), done (completed by me), initiated (of requests I "
                   "started), delegated (by me or waiting on signers I added) or cc (of requests copied to me)",
                   {"type": "string", "enum": ["todo", "done", "initiated", "delegated", "cc", ""]}),
             query("status", "Default open (every status with a view other than todo); an empty value lists "
                   "every status",
                   {"type": "string", "enum": [*TASK_STATUSES, ""], "default": TaskStatus.OPEN}),
             query("sort", "Created or due date; a leading `-` sorts descending",
                   {"type": "string", "enum": ["created", "due", "-created", "-due"], "default": "created"}),
             query("order", "`desc` sorts descending too (empty: ascending)",
                   {"type": "string", "enum": ["asc", "desc", ""]}),
             p("page"), p("pageSize"), p("cursor")])},
        "/api/v1/tasks/{task_id}": {"get": op(
            "getTask", "tasks", "One task with its form and the instance's variables",
            {200: ("The task", "TaskDetail")}, (401, 403, 404), [p("task_id")])},
        "/api/v1/tasks/{task_id}/claim": {"post": op(
            "claimTask", "tasks", "Assign the task to the caller",
            {200: ("The claimed task", "Task")}, (401, 403, 404, 409), [p("task_id")])},
        "/api/v1/tasks/{task_id}/unclaim": {"post": op(
            "unclaimTask", "tasks", "Give the task back to its candidates",
            {200: ("The unassigned task", "Task")}, (401, 403, 404, 409), [p("task_id")])},
        "/api/v1/tasks/{task_id}/complete": {"post": op(
            "completeTask", "tasks", "Complete the task with the form's variables",
            {200: ("The completed task, and the instance's open tasks the caller could take on next",
                   "CompletedTask")}, (400, 401, 403, 404, 409, 413, 422), [p("task_id")],
            body("CompleteRequest", "The form's variables; validated against the task's form"))},
        "/api/v1/decisions/{key}/evaluate": {"post": op(
            "evaluateDecision", "decisions", "Evaluate a deployed decision (and the decisions it requires)",
            {200: ("The outputs and the rules that matched", "DecisionResult")}, (400, 401, 404, 413, 422),
            [p("key")], body("EvaluateRequest", "The input variables, optionally a version"))},
        "/api/v1/audit": {"get": op(
            "listAuditEvents", "audit", "Query the audit log (admins and auditors)",
            {200: ("Events in sequence order", "AuditEventPage")}, (400, 401, 403),
            [query("instance", "Only this process instance"), query("actor", "Only by this user"),
             query("kind", "Only this kind, e.g. task.completed; ending in `.`, every kind it starts (task.)"),
             query("task", "Only this task"), query("after", "At or after this moment", TIME),
             query("before", "Before this moment", TIME), p("page"), p("pageSize"), p("cursor")])},
        "/api/v1/audit/verify": {"get": op(
            "verifyAuditLog", "audit", "Check the audit log's hash chain (admins and auditors)",
            {200: ("The result; ok is false if rows were edited, inserted or deleted", "VerifyResult")},
            (401, 403))},
    }
