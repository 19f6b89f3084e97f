"""/engine-rest: tasks, definitions, instances, messages, signals, deployments and history.

Routes only translate HTTP into one service call (server/services/camunda_tasks.py,
camunda_runtime.py, camunda_deployments.py); errors answer in Camunda's shape (server/api/engine_rest.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from server.api.common import database, json_body, principal, reading, runner, writing
from server.api.engine_rest import NO_CONTENT, engine_rest
from server.services import camunda_deployments, camunda_runtime, camunda_tasks
from server.services.deployments import UploadedFile


def _who() -> Any:
    return principal(allow_basic=True)


def _args() -> dict[str, str]:
    return request.args.to_dict()


@engine_rest.get("/task")
def list_tasks() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_tasks.list_tasks(session, who, _args()))


@engine_rest.get("/task/<task_id>")
def get_task(task_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_tasks.get_task(session, who, task_id))


@engine_rest.get("/task/<task_id>/form-variables")
def task_form_variables(task_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_tasks.form_variables(session, who, task_id, _args()))


@engine_rest.get("/task/<task_id>/deployed-form")
def task_deployed_form(task_id: str) -> Any:
    who = _who()
    with reading() as session:
        _name, content = camunda_tasks.deployed_form(session, who, task_id)
    return current_app.response_class(content, mimetype="application/json")


@engine_rest.post("/task/<task_id>/claim")
def claim_task(task_id: str) -> Any:
    who = _who()
    body = json_body()
    with writing() as session:
        camunda_tasks.claim(session, runner(), who, task_id, body)
    return NO_CONTENT


@engine_rest.post("/task/<task_id>/unclaim")
def unclaim_task(task_id: str) -> Any:
    who = _who()
    with writing() as session:
        camunda_tasks.unclaim(session, runner(), who, task_id)
    return NO_CONTENT


@engine_rest.post("/task/<task_id>/complete")
def complete_task(task_id: str) -> Any:
    who = _who()
    body = json_body()
    with writing() as session:
        variables = camunda_tasks.complete(session, runner(), who, task_id, body)
    return jsonify(variables) if variables is not None else NO_CONTENT


@engine_rest.get("/process-definition")
def list_definitions() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_runtime.list_definitions(session, who, _args()))


@engine_rest.get("/process-instance")
def list_instances() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_runtime.list_instances(session, who, _args()))


@engine_rest.delete("/process-instance/<instance_id>")
def delete_instance(instance_id: str) -> Any:
    who = _who()
    with writing() as session:
        camunda_runtime.delete_instance(session, runner(), who, instance_id, _args())
    return NO_CONTENT


@engine_rest.post("/message")
def correlate_message() -> Any:
    who = _who()
    result = camunda_runtime.correlate_message(database(), runner(), who, json_body())
    return jsonify(result) if result is not None else NO_CONTENT


@engine_rest.post("/signal")
def throw_signal() -> Any:
    who = _who()
    camunda_runtime.throw_signal(database(), runner(), who, json_body())
    return NO_CONTENT


@engine_rest.post("/deployment/create")
def create_deployment() -> Any:
    who = _who()
    files = [UploadedFile(f.filename or name, f.read()) for name in request.files for f in request.files.getlist(name)]
    with writing() as session:
        return jsonify(camunda_deployments.create(session, who, request.form.to_dict(), files,
                                                  current_app.config["BOMS"].allow_python_scripts))


@engine_rest.get("/history/process-instance")
def history_instances() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_runtime.history_instances(session, who, _args()))


@engine_rest.get("/history/process-instance/<instance_id>")
def history_instance(instance_id: str) -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_runtime.history_instance(session, who, instance_id))


@engine_rest.get("/history/task")
def history_tasks() -> Any:
    who = _who()
    with reading() as session:
        return jsonify(camunda_runtime.history_tasks(session, who, _args()))
