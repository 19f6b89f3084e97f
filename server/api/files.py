"""Files of task forms over the API: upload one for a task's file field, download one.

The upload is stored and recorded at once (server/services/files.py), bound to the task and its
instance; the answer's ``value`` is the reference that the task's completion accepts as that field's
value (server/forms/files.py). Downloads follow the web rule: whoever may see the instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, send_file

from server.api import api
from server.api.common import principal, reading, writing
from server.api.openapi import INTEGER, STRING, Schema, obj, op, p, param, ref
from server.auth.permissions import require_task_access
from server.errors import BadRequest, Conflict, PayloadTooLarge
from server.events import TaskStatus
from server.forms.files import file_fields
from server.security_headers import harden_stored, safe_download_type
from server.services import action_files
from server.services import files as store
from server.services import tasks as task_service


def _root() -> Path:
    return store.files_root(current_app.config["BOMS"].instance_path)


def _upload_field(schema: dict[str, Any] | None) -> str:
    """The one file field the request carries a file for (or an approval action's attachment); a clear 400
    otherwise."""
    own = file_fields(schema)
    allowed = [*own, action_files.PENDING]
    given = [name for name in request.files for part in request.files.getlist(name) if part.filename]
    if len(given) != 1:
        raise BadRequest("send exactly one file, as a multipart part named after the form's file field or "
                         f"'{action_files.PENDING}' (an approval action's files): {', '.join(allowed)}",
                         fields={name: "send one file here" for name in allowed})
    if given[0] not in allowed:
        raise BadRequest(f"'{given[0]}' is not a file field of this task's form"
                         + (f" (its file fields: {', '.join(own)})" if own else " (it has none)")
                         + f" nor '{action_files.PENDING}' (an approval action's files)", field=given[0])
    return given[0]


@api.post("/tasks/<task_id>/files")
def upload_task_file(task_id: str) -> Any:
    who = principal()
    with reading() as session:
        task = task_service.get_task(session, who, task_id)  # 404, or 403 for a task the caller cannot see
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"task '{task.id}' is already {task.status}")
        require_task_access(who, task, "complete")  # only who may complete it may attach to it
        instance_id = task.instance_id
        schema = task_service.task_form(task, who)
    field = _upload_field(schema)
    limit = int(current_app.config["BOMS"].max_upload_bytes)
    if field == action_files.PENDING and field not in file_fields(schema):
        # An attachment for an approval action that names it ("attachments": [fileId]).
        parts = request.files.getlist(field)
        if len(parts) != 1:
            raise BadRequest("send one attachment per upload", field=field)
        [upload] = action_files.store_attachments(_root(), field, parts, limit)
    else:
        if store.too_large(schema, request.files, limit):
            raise PayloadTooLarge(f"'{field}' is larger than {limit} bytes", field=field)
        [upload] = [u for u in store.store_uploads(_root(), schema, request.files) if u.field == field]
    with store.discarded_on_error([upload]), writing() as session:
        store.record(session, [upload], instance_id, task_id, who.username)
    return {"field": field, "value": upload.value()}, 201


@api.get("/files/<file_id>")
def download_file(file_id: str) -> Any:
    who = principal()
    with reading() as session:
        row, path = store.get_file(session, who, _root(), file_id)
        name, content_type = row.file_name, row.content_type
    # As on the web: always an attachment, never rendered in this origin.
    response = send_file(path, mimetype=safe_download_type(content_type), as_attachment=True, download_name=name,
                         conditional=True)
    harden_stored(response)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- the OpenAPI description of these routes (merged by server/api/openapi.py) --------------------

SCHEMAS: dict[str, Schema] = {
    "FileReference": obj({
        "fileId": {"type": "string", "format": "uuid"},
        "name": {**STRING, "description": "The uploaded file's name"},
        "size": {**INTEGER, "minimum": 0, "description": "Bytes"},
        "contentType": STRING,
    }, description="A stored file; the value a form's file field takes"),
    "UploadedFile": obj({"field": {**STRING, "description": "The form's file field"},
                         "value": ref("FileReference")}),
}


def paths() -> dict[str, dict[str, Any]]:
    upload_body = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "additionalProperties": {"type": "string", "contentMediaType": "application/octet-stream"},
        "description": "One part, named after one of the task form's file fields, or 'attachments' for a "
                       "file an approval action then names in its body"}}}}
    return {
        "/api/v1/tasks/{task_id}/files": {"post": op(
            "uploadTaskFile", "tasks", "Upload a file for one of the task's file fields",
            {201: ("Stored; put `value` into that field's variable when completing the task", "UploadedFile")},
            (400, 401, 403, 404, 409, 413), [p("task_id")], request=upload_body,
            description="Allowed to whoever may complete the task. At most BOMS_MAX_UPLOAD_BYTES per file.")},
        "/api/v1/files/{file_id}": {"get": op(
            "downloadFile", "tasks", "Download a stored file",
            {200: ("The file, as an attachment, in its content type", {"*/*": {"schema": {
                "type": "string", "contentMediaType": "application/octet-stream"}}})},
            (401, 403, 404), [param("file_id", "path", {"type": "string"}, "The file id (fileId)")],
            description="Allowed to whoever may see the file's process instance.")},
    }
