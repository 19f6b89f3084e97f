"""Approval actions on tasks and instances (issue 14): routes and their OpenAPI entries (merged by openapi.py)."""

from __future__ import annotations

from typing import Any

from server.api import api
from server.api.common import database, json_body, principal, runner, writing
from server.api.instances import instance_json
from server.api.openapi import BOOLEAN, INTEGER, STRING, STRINGS, VARIABLES, Schema, body, obj, op, p
from server.api.tasks import task_json
from server.errors import BadRequest
from server.services import action_files, substitutes, task_batch, task_cc, task_return
from server.services import task_actions as service

COMMENT = {**STRING, "maxLength": service.MAX_COMMENT}
ATTACHMENTS = {**STRINGS, "maxItems": action_files.MAX_FILES,
               "description": "File ids uploaded first with POST /api/v1/tasks/{task_id}/files, a part named "
                              "'attachments'; listed with the action in the history"}
SCHEMAS: dict[str, Schema] = {
    "TransferRequest": obj({"user": {**STRING, "description": "The active user who takes the task over"},
                            "comment": COMMENT, "attachments": ATTACHMENTS}, optional=("comment", "attachments")),
    "DelegateRequest": obj({"user": {**STRING, "description": "The active user who works the task for you"},
                            "comment": COMMENT, "attachments": ATTACHMENTS}, optional=("comment", "attachments")),
    "CommentRequest": obj({"comment": COMMENT, "attachments": ATTACHMENTS}, optional=("comment", "attachments")),
    "ReturnRequest": obj({
        "to": {**STRING, "description": '"previous", "initiator", or the id of an earlier completed user step'},
        "comment": {**COMMENT, "description": "What to correct (required)"}, "attachments": ATTACHMENTS},
        optional=("attachments",)),
    "AddSignersRequest": obj({
        "users": {**STRINGS, "minItems": 1, "maxItems": service.MAX_SIGNERS},
        "mode": {"type": "string", "enum": ["before", "after", "parallel"],
                 "description": "before: they act first and it comes back to you; after: they act after you; "
                                "parallel: each gets a task of their own beside yours and all of you must act"},
        "comment": COMMENT, "attachments": ATTACHMENTS}, optional=("comment", "attachments")),
    "CcRequest": obj({"users": STRINGS, "groups": STRINGS, "comment": COMMENT, "attachments": ATTACHMENTS},
                     optional=("users", "groups", "comment", "attachments")),
    "CcResult": obj({"copied": {**STRINGS, "description": "Who was newly copied"}}),
    "BatchCompleteRequest": obj({
        "tasks": {**STRINGS, "minItems": 1, "maxItems": task_batch.MAX_BATCH},
        "variables": {**VARIABLES, "description": "The one decision (and any other fields) for every task"},
        "decision": {**STRING, "description": "Or: an option id (approve) put into each task's own decision "
                                              "field"}}, optional=("variables", "decision")),
    "BatchCompleteResult": obj({"results": {"type": "array", "items": obj({
        "id": STRING, "completed": BOOLEAN, "status": INTEGER, "error": STRING}, optional=("status", "error"))}}),
    "WithdrawResult": obj({"outcome": {"type": "string", "enum": ["cancelled", "reopened"]},
                           "instance": {"$ref": "#/components/schemas/ProcessInstance"}}),
    "Substitute": obj({"user": {**STRING, "type": ["string", "null"], "description": "Who takes your tasks; "
                                                                                  "null clears it"},
                       "from": {"type": ["string", "null"], "format": "date"},
                       "until": {"type": ["string", "null"], "format": "date", "description": "Inclusive"}},
                      optional=("from", "until")),
    "ModifyRequest": obj({"cancel": {**STRINGS, "description": "The active element to cancel"},
                          "startBefore": {**STRINGS, "minItems": 1, "maxItems": 1}}),
}


def _task_call(task_id: str, action: Any, name: str, *keys: str) -> Any:
    who = principal()
    data = json_body()
    with writing() as session:
        task = action(session, runner(), who, task_id, *(data.get(k) for k in keys))
        # Files uploaded for the task beforehand; a wrong one rolls the action back too.
        action_files.bind(session, runner(), who, task_id, name, data.get("attachments"))
        return task_json(task)


@api.post("/tasks/<task_id>/transfer")
def transfer_task(task_id: str) -> Any:
    return _task_call(task_id, service.transfer, "transfer", "user", "comment")


@api.post("/tasks/<task_id>/delegate")
def delegate_task(task_id: str) -> Any:
    return _task_call(task_id, service.delegate, "delegate", "user", "comment")


@api.post("/tasks/<task_id>/resolve")
def resolve_task(task_id: str) -> Any:
    return _task_call(task_id, service.resolve, "resolve", "comment")


@api.post("/tasks/<task_id>/add-signers")
def add_signers(task_id: str) -> Any:
    return _task_call(task_id, service.add_signers, "add_signers", "users", "mode", "comment")


@api.post("/tasks/<task_id>/urge")
def urge_task(task_id: str) -> Any:
    return _task_call(task_id, service.urge, "urge", "comment")


@api.post("/tasks/<task_id>/return")
def return_task(task_id: str) -> Any:
    return _task_call(task_id, task_return.return_task, "return", "to", "comment")


@api.post("/tasks/<task_id>/cc")
def cc_task(task_id: str) -> Any:
    who = principal()
    data = json_body()
    with writing() as session:
        copied = task_cc.cc(session, runner(), who, task_id, data.get("users"), data.get("groups"),
                            data.get("comment"))
        action_files.bind(session, runner(), who, task_id, "cc", data.get("attachments"))
        return {"copied": copied}


@api.post("/tasks/batch-complete")
def batch_complete() -> Any:
    data = json_body()
    return {"results": task_batch.batch_complete(database(), runner(), principal(), data.get("tasks"),
                                                 data.get("variables"), data.get("decision"))}


@api.post("/process-instances/<instance_id>/withdraw")
def withdraw_instance(instance_id: str) -> Any:
    who = principal()
    data = json_body()
    with writing() as session:
        outcome, instance = task_return.withdraw(session, runner(), who, instance_id, data.get("comment"))
        return {"outcome": outcome, "instance": instance_json(instance)}


@api.post("/process-instances/<instance_id>/modify")
def modify_instance(instance_id: str) -> Any:
    who = principal()
    data = json_body()
    with writing() as session:
        return instance_json(task_return.modify_instance(session, runner(), who, instance_id, data.get("cancel"),
                                                         data.get("startBefore")))


@api.get("/users/me/substitute")
def get_substitute() -> Any:
    who = principal()
    with database().read() as session:
        return substitutes.get_substitute(session, who)


@api.put("/users/me/substitute")
def set_substitute() -> Any:
    who = principal()
    data = json_body()
    if "user" not in data:
        raise BadRequest('the body needs "user" (a user name, or null to clear the substitute)', field="user")
    if data["user"] is None and (data.get("from") is not None or data.get("until") is not None):
        raise BadRequest('"from" and "until" go with a user; send {"user": null} alone to clear', field="from")
    with writing() as session:
        return substitutes.set_substitute(session, who, data["user"], data.get("from"), data.get("until"))


def _task_op(op_id: str, summary: str, request: str, doc: str, required: bool = True) -> Schema:
    return {"post": op(op_id, "tasks", summary, {200: ("The task afterwards", "Task")}, (400, 401, 403, 404, 409),
                       [p("task_id")], {**body(request, summary), "required": required}, doc)}


def paths() -> dict[str, dict[str, Any]]:
    allowed = ("Allowed to whoever may complete the task, unless the user task switches it off with the property "
               "{}=false.")
    return {
        "/api/v1/tasks/{task_id}/transfer": _task_op(
            "transferTask", "Transfer (转交) the task to another user, who becomes its assignee", "TransferRequest",
            allowed.format("allowTransfer") + " Audited as task.transferred with the comment."),
        "/api/v1/tasks/{task_id}/delegate": _task_op(
            "delegateTask", "Delegate (委托) the task: the delegate works it and resolves it back to you",
            "DelegateRequest", allowed.format("allowDelegate") + " Until it is resolved nobody can complete it. "
            "Audited as task.delegated."),
        "/api/v1/tasks/{task_id}/resolve": _task_op(
            "resolveTask", "Hand a delegated task (or one with signers added before) back to its owner",
            "CommentRequest", "By the delegate or the added signer holding it; the next signer added before gets it, "
                              "else its owner. Audited as task.resolved.", required=False),
        "/api/v1/tasks/{task_id}/add-signers": _task_op(
            "addSigners", "Add signers (加签) before, after or beside you on this step", "AddSignersRequest",
            allowed.format("allowAddSigner") + " You must hold the task. before: each signer acts (resolve) and it "
            "comes back to you; after: once you complete it, each signer completes it in turn and the last "
            "completion moves the process on; parallel: each signer gets a task of their own for the step (in their "
            "inbox, signsFor naming yours), everyone completes in any order, the process moves on with your "
            "variables once all have acted, and the first rejection ends it at once (the parts still open are "
            "cancelled). Audited as task.signer_added."),
        "/api/v1/tasks/{task_id}/urge": _task_op(
            "urgeTask", "Urge (催办): remind the task's assignee or candidates", "CommentRequest",
            "By the request's initiator, an earlier approver or an admin; at most once an hour per task (409), "
            "unless allowUrge=false. Notifies in the app (and by email when SMTP is set); audited as task.urged.",
            required=False),
        "/api/v1/tasks/{task_id}/return": _task_op(
            "returnTask", "Return (退回) the task to an earlier step or the initiator, with a comment",
            "ReturnRequest", allowed.format("allowReturn") + " This step is cancelled and the earlier one opens "
            "again for whoever completed it, keeping the variables. Only on an instance with one active branch. "
            "Audited as task.returned."),
        "/api/v1/tasks/{task_id}/cc": {"post": op(
            "ccTask", "tasks", "Copy (抄送) users or groups on the task's request",
            {200: ("Who was newly copied", "CcResult")}, (400, 401, 403, 404, 409), [p("task_id")],
            {**body("CcRequest", "Whom to copy"), "required": True},
            allowed.format("allowCc") + " The people copied may read the request and find it under view=cc. "
            "Audited as task.cc.")},
        "/api/v1/tasks/batch-complete": {"post": op(
            "batchCompleteTasks", "tasks", "Complete several tasks with one decision, each checked on its own",
            {200: ("Per task, whether it was completed or why not", "BatchCompleteResult")}, (400, 401),
            None, {**body("BatchCompleteRequest", "The tasks and the decision"), "required": True},
            "Each task is completed in its own transaction exactly as by POST /tasks/{id}/complete; a task "
            "whose form has no decision field, that the caller may not complete, or whose element sets "
            "allowBatch=false is refused in its result and the others go on.")},
        "/api/v1/process-instances/{instance_id}/withdraw": {"post": op(
            "withdrawInstance", "instances", "Withdraw (撤回) a request or your last approval",
            {200: ("What happened, and the instance afterwards", "WithdrawResult")}, (400, 401, 403, 404, 409),
            [p("instance_id")], body("CommentRequest", "Why"),
            "The initiator, while nobody else has completed a step: the instance is cancelled (outcome "
            "cancelled). An approver whose completion is the latest, while the one step after it is untouched: "
            "that step is cancelled and theirs opens again (outcome reopened). Otherwise 409. Audited as "
            "instance.withdrawn.")},
        "/api/v1/users/me/substitute": {
            "get": op("getSubstitute", "tasks", "Your substitute (out of office)", {200: ("It", "Substitute")},
                      (401, 403)),
            "put": op("setSubstitute", "tasks", "Set or clear your substitute for a date range",
                      {200: ("It afterwards", "Substitute")}, (400, 401, 403),
                      None, {**body("Substitute", "Who and when"), "required": True},
                      "Tasks assigned to you while the range lasts (UTC dates, inclusive) go to the substitute; you "
                      "see them under view=delegated. Audited as user.substitute_set (task.substituted per task).")},
        "/api/v1/process-instances/{instance_id}/modify": {"post": op(
            "modifyInstance", "instances", "Move a token: cancel the active element, start before another one",
            {200: ("The instance afterwards", "ProcessInstance")}, (400, 401, 403, 404, 409), [p("instance_id")],
            {**body("ModifyRequest", "What to cancel and where to start"), "required": True},
            "Admins only. Keeps the variables; one active branch at a time, within one (sub-)process. Audited "
            "as instance.modified.")},
    }
