"""/engine-rest: the Camunda 7 REST calls that external-task workers and common clients make.

Routes only translate HTTP into one service call (server/services/external_tasks.py,
external_task_actions.py, camunda_engine.py). Errors answer in Camunda's shape ({"type", "message"})
with BOMS's `error` beside it, so Camunda clients show the message and BOMS clients the details.
Authentication: a BOMS API token as `Authorization: Bearer TOKEN`, or HTTP Basic with USER:TOKEN.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from server.api.common import database, json_body, principal, reading, runner, writing
from server.errors import BomsError, http_error_json
from server.services import camunda_engine, external_task_actions, external_tasks

engine_rest = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")
CAMUNDA_TYPES = {400: "InvalidRequestException", 401: "AuthenticationException", 403: "AuthorizationException",
                 404: "InvalidRequestException", 409: "RestException", 422: "RestException"}
NO_CONTENT = ("", 204)


@engine_rest.errorhandler(BomsError)
def _domain_error(exc: BomsError) -> Any:
    # Camunda reports a task that does not exist as 404 and a bad request (a wrong worker) as 400.
    fields = exc.details.get("fields")
    message = exc.message  # Camunda clients show only the message: it names the fields too
    if isinstance(fields, dict) and fields:
        message += " " + "; ".join(f"{name}: {why}" for name, why in fields.items())
    body = {"type": CAMUNDA_TYPES.get(exc.status, "RestException"), "message": message, **exc.to_dict()}
    return jsonify(body), exc.status


@engine_rest.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    body, status, headers = http_error_json(exc)
    return jsonify({"type": "RestException", "message": body["error"]["message"], **body}), status, headers


def _who() -> Any:
    return principal(allow_basic=True)


@engine_rest.post("/external-task/fetchAndLock")
def fetch_and_lock() -> Any:
    who = _who()
    return jsonify(external_tasks.fetch_and_lock(database(), who, json_body()))


@engine_rest.get("/external-task")
def list_external_tasks() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(external_tasks.list_external_tasks(session, who, request.args.to_dict()))


@engine_rest.get("/external-task/<task_id>")
def get_external_task(task_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(external_tasks.get_external_task(session, who, task_id))


def _action(name: str, task_id: str) -> Any:
    who = _who()
    body = json_body()
    with writing() as session:
        getattr(external_task_actions, name)(session, runner(), who, task_id, body)
    return NO_CONTENT


@engine_rest.post("/external-task/<task_id>/complete")
def complete_external_task(task_id: str) -> Any:
    return _action("complete", task_id)


@engine_rest.post("/external-task/<task_id>/failure")
def fail_external_task(task_id: str) -> Any:
    return _action("failure", task_id)


@engine_rest.post("/external-task/<task_id>/bpmnError")
def bpmn_error_external_task(task_id: str) -> Any:
    return _action("bpmn_error", task_id)


@engine_rest.post("/external-task/<task_id>/extendLock")
def extend_external_task_lock(task_id: str) -> Any:
    return _action("extend_lock", task_id)


@engine_rest.post("/external-task/<task_id>/unlock")
def unlock_external_task(task_id: str) -> Any:
    who = _who()
    with writing() as session:
        external_task_actions.unlock(session, runner(), who, task_id)
    return NO_CONTENT


@engine_rest.post("/process-definition/key/<key>/start")
def start_by_key(key: str) -> Any:
    who = _who()
    body = json_body()
    with writing() as session:
        return jsonify(camunda_engine.start_by_key(session, runner(), who, key, body))


@engine_rest.get("/process-definition/key/<key>")
def definition_by_key(key: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_engine.definition_by_key(session, who, key))


@engine_rest.get("/process-instance/<instance_id>")
def get_instance(instance_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_engine.get_instance(session, who, instance_id))


@engine_rest.get("/process-instance/<instance_id>/variables")
def instance_variables(instance_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_engine.instance_variables(session, who, instance_id))
