"""Attachments of records over the API: upload a file for an attachment field, download a record's file.

A client uploads first and then writes the reference it got into the field (POST or PATCH of the record);
the rules are server/records/files.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, send_file

from server import thumbnails
from server.api import api
from server.api.common import principal, reading, writing
from server.api.openapi import op, param
from server.api.records import RECORD_ID, TYPE
from server.errors import BadRequest, NotFound
from server.private_files import files_root
from server.queries import id_value
from server.records import files
from server.security_headers import harden_stored, safe_download_type

MULTIPART_ALLOWANCE = 64 * 1024  # the part headers around the file


def _root() -> Path:
    return files_root(current_app.config["BOMS"].instance_path)


def _limit() -> int:
    return int(current_app.config["BOMS"].max_upload_bytes)


@api.post("/records/<type_key>/files")
def upload_record_file(type_key: str) -> Any:
    who = principal()
    request.max_content_length = _limit() + MULTIPART_ALLOWANCE
    given = [name for name in request.files for part in request.files.getlist(name) if part.filename]
    if len(given) != 1:
        raise BadRequest("send exactly one file, as a multipart part named after the attachment field",
                         field="file")
    part = request.files[given[0]]
    with writing() as session:
        value = files.upload(session, who, _root(), type_key, given[0],
                             files.Incoming(part.stream, part.filename, part.mimetype), _limit())
    return {"field": given[0], "value": value}, 201


@api.get("/records/<type_key>/<record_id:record_id>/files/<file_id>")
def download_record_file(type_key: str, record_id: str, file_id: str) -> Any:
    who = principal()
    number = id_value(record_id)
    if number is None:
        raise NotFound(f"no {type_key} record {record_id}")
    with reading() as session:
        name, content_type, path = files.download(session, who, _root(), type_key, number, file_id)
    response = send_file(path, mimetype=safe_download_type(content_type), as_attachment=True, download_name=name,
                         conditional=True)
    harden_stored(response)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@api.get("/records/<type_key>/<record_id:record_id>/files/<file_id>/thumbnail")
def record_file_thumbnail(type_key: str, record_id: str, file_id: str) -> Any:
    who = principal()
    number = id_value(record_id)
    if number is None:
        raise NotFound(f"no {type_key} record {record_id}")
    with reading() as session:
        small = files.thumbnail(session, who, _root(), type_key, number, file_id)
    if small is None:
        raise NotFound(f"file '{file_id}' has no thumbnail: it is not a PNG, JPEG, GIF or WebP image BOMS can "
                       "decode within its limits")
    response = send_file(small, mimetype=thumbnails.CONTENT_TYPE, conditional=True)
    harden_stored(response)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


FILE_ID = param("file_id", "path", {"type": "string", "format": "uuid"}, "The file id (fileId)")


def paths() -> dict[str, dict[str, Any]]:
    upload_body = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "additionalProperties": {"type": "string", "contentMediaType": "application/octet-stream"},
        "description": "One part, named after one of the type's attachment fields"}}}}
    return {
        "/api/v1/records/{type_key}/files": {"post": op(
            "uploadRecordFile", "records", "Upload a file for an attachment field",
            {201: ("Stored (pending): put `value` into the field's list when creating or editing a record",
                   "UploadedFile")},
            (400, 401, 403, 404, 413, 422), [TYPE], request=upload_body,
            description="Allowed to whoever may create or edit records of the type and write the field. At most "
                        "the field's maxSize and BOMS_MAX_UPLOAD_BYTES; only the kinds in its accept list. A "
                        "pending upload only its uploader may name, in that field.")},
        "/api/v1/records/{type_key}/{record_id}/files/{file_id}": {"get": op(
            "downloadRecordFile", "records", "Download a file of a record's attachment field",
            {200: ("The file, as an attachment", {"*/*": {"schema": {
                "type": "string", "contentMediaType": "application/octet-stream"}}})},
            (401, 404), [TYPE, RECORD_ID, FILE_ID],
            description="Allowed to whoever may read the record (row scope) and the field; anything else is a 404.")},
        "/api/v1/records/{type_key}/{record_id}/files/{file_id}/thumbnail": {"get": op(
            "getRecordFileThumbnail", "records", "A bounded thumbnail of an image on a record",
            {200: ("WebP, at most 256 px on its longer side, made on first request and cached",
                   {"image/webp": {"schema": {"type": "string", "contentMediaType": "image/webp"}}})},
            (401, 404), [TYPE, RECORD_ID, FILE_ID],
            description="The same permission as the file's download. A 404 also when the file is not a PNG, JPEG, "
                        "GIF or WebP image, or cannot be decoded within BOMS's limits (50 megapixels).")},
    }

