"""The REST API, /api/v1: routes only translate HTTP to service calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from server.errors import BomsError, Conflict, http_error_json

api = Blueprint("api", __name__, url_prefix="/api/v1")


class InstanceIdConverter(BaseConverter):
    """An instance id, never the word `migrate`: `/process-instances/migrate` is its own resource, and
    if `<instance_id>` matched it, OPTIONS there would advertise the instance's GET."""

    regex = r"(?!migrate$)[^/]+"


# Deferred like the routes below and registered before them, so the converter exists when they bind.
api.record_once(lambda state: state.app.url_map.converters.setdefault("instance_id", InstanceIdConverter))


@api.errorhandler(BomsError)
def _domain_error(exc: BomsError) -> Any:
    return jsonify(exc.to_dict()), exc.status


@api.errorhandler(StaleDataError)
def _stale(_exc: StaleDataError) -> Any:
    return _domain_error(Conflict("the process instance was changed by someone else; reload and retry"))


@api.errorhandler(IntegrityError)
def _integrity(exc: IntegrityError) -> Any:
    # Two requests created the same row (say, the same process version) at once; the loser may retry.
    current_app.logger.warning("integrity conflict: %s", exc.orig)
    return _domain_error(Conflict("a concurrent request changed the same data; retry"))


@api.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    return jsonify({"error": {"code": "payload_too_large", "message": "the upload is larger than the server "
                              "accepts (BOMS_MAX_UPLOAD_BYTES)"}}), 413


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    body, status, headers = http_error_json(exc)
    return jsonify(body), status, headers


from server.api import (  # noqa: E402,F401,I001
    audit, decisions, definitions, deployments, files, instance_admin, instances, messages, openapi, tasks,
)
from server.api import records  # noqa: E402,F401  (the data engine's routes: server/records)
from server.api import record_views  # noqa: E402  (saved views of record lists)
from server.api import record_processes  # noqa: E402  (processes started from and working on records)
from server.api import record_files  # noqa: E402  (attachments of records)
from server.api import rules  # noqa: E402,F401  (the rule engine's routes: server/rules)
from server.api import dashboards  # noqa: E402,F401  (the analytics engine's routes: server/analytics)
from server.api import heatmap  # noqa: E402  (process analytics on the diagram: server/analytics/heatmap.py)
from server.api import openapi_document  # noqa: E402,F401  (serves /openapi.json)
from server.api import task_actions  # noqa: E402
from server.api import imports  # noqa: E402  (spreadsheet import and export of records)


def init_app(app: Flask) -> None:
    """The workflow engine's REST API: its blueprint, and its parts of the OpenAPI document."""
    from server.api import (
        engine_rest_runtime,  # noqa: F401  (its routes join the engine_rest blueprint)
        openapi_engine_rest,
        openapi_engine_rest_runtime,
        openapi_instance_admin,
    )
    from server.api.engine_rest import engine_rest
    from server.extensions import csrf
    from server.plugins import plugins_of

    app.register_blueprint(api)
    app.register_blueprint(engine_rest)  # Camunda 7 workers and clients (tokens, no session: no CSRF)
    csrf.exempt(engine_rest)
    plugins = plugins_of(app)
    plugins.add_openapi(openapi.core_paths, openapi.SCHEMAS,
                        tags=("deployments", "definitions", "instances", "tasks", "decisions", "events", "audit",
                              "meta"))
    plugins.add_openapi(openapi_instance_admin.paths, openapi_instance_admin.SCHEMAS)
    plugins.add_openapi(files.paths, files.SCHEMAS)
    plugins.add_openapi(records.paths, records.SCHEMAS, tags=("records",))
    plugins.add_openapi(record_views.paths, record_views.SCHEMAS)
    plugins.add_openapi(record_processes.paths, record_processes.SCHEMAS)
    plugins.add_openapi(record_files.paths, {})
    plugins.add_openapi(rules.paths, rules.SCHEMAS, tags=("rules",))
    plugins.add_openapi(dashboards.paths, dashboards.SCHEMAS, tags=("dashboards",))
    plugins.add_openapi(heatmap.paths, heatmap.SCHEMAS)
    plugins.add_openapi(task_actions.paths, task_actions.SCHEMAS)
    plugins.add_openapi(imports.paths, imports.SCHEMAS)
    plugins.add_openapi(openapi_engine_rest.paths, openapi_engine_rest.SCHEMAS, tags=("camunda",))
    plugins.add_openapi(openapi_engine_rest_runtime.paths, openapi_engine_rest_runtime.SCHEMAS)
