"""Saved views of record lists over the API: each route translates HTTP into one server.records.views call."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from server.api import api
from server.api.common import json_body, principal, reading, writing
from server.api.openapi import BOOLEAN, INTEGER, STRING, Schema, obj, op, param, ref
from server.errors import BadRequest
from server.records import views

TYPE = param("type_key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The record type's key")
VIEW_ID = param("view_id", "path", {"type": "integer", "minimum": 1}, "The view's id")
KEYS = frozenset({"name", "filter", "sort", "columns", "shared"})


def _json(view: views.SavedView) -> dict[str, Any]:
    return {**asdict(view), "columns": list(view.columns)}


@api.get("/records/<type_key>/views")
def list_record_views(type_key: str) -> Any:
    who = principal()
    with reading() as session:
        return {"items": [_json(v) for v in views.list_views(session, who, type_key)]}


@api.post("/records/<type_key>/views")
def save_record_view(type_key: str) -> Any:
    who = principal()
    body = json_body()
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise BadRequest(f"unknown key(s) {', '.join(unknown)} (a view has {', '.join(sorted(KEYS))})",
                         field=unknown[0])
    texts = {k: body.get(k, "") for k in ("name", "filter", "sort")}
    columns, shared = body.get("columns", []), body.get("shared", False)
    for key, value in texts.items():
        if not isinstance(value, str):
            raise BadRequest(f"'{key}' must be text", field=key)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise BadRequest("'columns' must be a list of field keys", field="columns")
    if not isinstance(shared, bool):
        raise BadRequest("'shared' must be true or false", field="shared")
    with writing() as session:
        view = views.save_view(session, who, type_key, texts["name"], texts["filter"], texts["sort"], columns,
                               shared)
        return _json(view), 200


@api.delete("/records/<type_key>/views/<int:view_id>")
def delete_record_view(type_key: str, view_id: int) -> Any:
    who = principal()
    with writing() as session:
        views.delete_view(session, who, type_key, view_id)
    return "", 204


SCHEMAS: dict[str, Schema] = {
    "RecordView": obj({"id": INTEGER, "name": STRING, "owner": STRING, "filter": STRING, "sort": STRING,
                       "columns": {"type": "array", "items": STRING}, "shared": BOOLEAN, "mine": BOOLEAN}),
    "RecordViewWrite": obj({"name": STRING, "filter": STRING, "sort": STRING,
                            "columns": {"type": "array", "items": STRING}, "shared": BOOLEAN},
                           optional=("filter", "sort", "columns", "shared")),
    "RecordViewList": obj({"items": {"type": "array", "items": ref("RecordView")}}),
}


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/records/{type_key}/views": {
            "get": op("listRecordViews", "records", "The caller's saved views of a type and the shared ones",
                      {200: ("The views", "RecordViewList")}, (401, 403, 404), [TYPE]),
            "post": op("saveRecordView", "records", "Save (or replace, by name) one of the caller's views",
                       {200: ("The view", "RecordView")}, (400, 401, 403, 404), [TYPE],
                       request={"required": True, "content": {"application/json": {"schema": ref("RecordViewWrite")}}},
                       description="Its filter and sort are checked as a list's; columns must be readable fields."),
        },
        "/api/v1/records/{type_key}/views/{view_id}": {
            "delete": op("deleteRecordView", "records", "Delete a view (its owner or an admin)",
                         {204: ("Deleted", {})}, (401, 403, 404), [TYPE, VIEW_ID]),
        },
    }
