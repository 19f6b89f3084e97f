"""GET /api/v1/openapi.json: the OpenAPI document, assembled from the parts the engines registered.

Each engine's `init_app` adds its paths and schemas (server/plugins.py `add_openapi`); the document is
built once per app, on first request, so every engine has registered by then.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask, current_app

from server.api import api
from server.api.openapi import ERRORS, PARAMETERS, json_content, ref
from server.plugins import plugins_of

_CACHE = "boms_openapi"


def paths(app: Flask) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for part in plugins_of(app).openapi:
        for path, item in part.paths().items():
            merged.setdefault(path, {}).update(item)
    return merged


def _build(app: Flask) -> dict[str, Any]:
    parts = plugins_of(app).openapi
    tags = list(dict.fromkeys(tag for part in parts for tag in part.tags))
    schemas = {name: schema for part in parts for name, schema in part.schemas.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "BOMS REST API", "version": "1",
                 "description": "Deploy BPMN/DMN, start and follow process instances, work on tasks, read "
                                "the audit log. Errors are JSON: {\"error\": {\"code\", \"message\", ...}}."},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"bearer": []}],
        "tags": [{"name": n} for n in tags],
        "paths": paths(app),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token issued by an administrator"}},
            "schemas": schemas,
            "parameters": PARAMETERS,
            "responses": {name: {"description": text, "content": json_content(ref("Error"))}
                          for name, text in ERRORS.values()},
        },
    }


def _document(app: Flask) -> dict[str, Any]:
    if _CACHE not in app.extensions:
        app.extensions[_CACHE] = _build(app)
    return app.extensions[_CACHE]


def document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document of `app` (default: the current app); a copy: callers may change it."""
    return copy.deepcopy(_document(app or current_app._get_current_object()))  # type: ignore[attr-defined]


@api.get("/openapi.json")
def openapi_document() -> Any:
    return _document(current_app._get_current_object())  # type: ignore[attr-defined]
