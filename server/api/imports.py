"""Import and export of records over the API: each route translates HTTP into one server.records.imports call."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask_babel import get_locale

from server.api import api
from server.api.common import database, json_body, principal, reading, writing
from server.api.openapi import ANY_OBJECT, INTEGER, STRING, Schema, obj, op, param, query, ref
from server.errors import BadRequest
from server.queries import QueryArgs
from server.records.imports import downloads, service
from server.records.imports import export as exporting

MAX_IMPORT_BYTES = 1024**3  # a larger upload is a 413 before it is read; split the file
TYPE = param("type_key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The record type's key")
IMPORT_ID = param("import_id", "path", {"type": "string", "format": "uuid"}, "The import's id")


def _language() -> str:
    return "zh" if str(get_locale() or "en").startswith("zh") else "en"


def _download(body: Any, name: str, content_type: str) -> Response:
    response = Response(stream_with_context(body), mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _options() -> Any:
    text = request.form.get("options")
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"options is not valid JSON: {exc}", field="options") from None


@api.post("/records/<type_key>/imports")
def start_import(type_key: str) -> Any:
    who = principal()
    request.max_content_length = MAX_IMPORT_BYTES
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("send the file as a multipart part named 'file'", field="file")
    body = service.start(database(), current_app.config["BOMS"].instance_path, who, type_key, upload.filename,
                         upload.stream, _options())
    return body, 200 if body["status"] == "previewed" or body["dryRun"] and body["status"] == "failed" else 202


@api.get("/imports/<import_id>")
def get_import(import_id: str) -> Any:
    who = principal()
    with reading() as session:
        return service.get(session, who, import_id)


@api.post("/imports/<import_id>/cancel")
def cancel_import(import_id: str) -> Any:
    who = principal()
    with writing() as session:
        return service.cancel(session, who, import_id)


@api.post("/imports/<import_id>/commit")
def commit_import(import_id: str) -> Any:
    who = principal()
    body = json_body()
    return service.restart(database(), current_app.config["BOMS"].instance_path, who, import_id,
                           body.get("options", {})), 202


@api.get("/imports/<import_id>/errors.xlsx")
def import_errors(import_id: str) -> Any:
    who = principal()
    handle = downloads.error_workbook_of(database(), who, import_id)
    return _download(exporting.file_chunks(handle), f"errors-{import_id[:8]}.xlsx", exporting.XLSX)


@api.get("/records/<type_key>/template.xlsx")
def import_template(type_key: str) -> Any:
    who = principal()
    handle = downloads.template_for(database(), who, type_key, _language())
    return _download(exporting.file_chunks(handle), f"{type_key}-template.xlsx", exporting.XLSX)


@api.get("/records/<type_key>/export")
def export_records(type_key: str) -> Any:
    who = principal()
    args = QueryArgs(request.args)
    unknown = sorted(set(request.args) - {"format", "filter", "fields", "sort", "lang"})
    if unknown:
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}", field=unknown[0])
    language = args.text("lang") or _language()
    result = exporting.export(database(), who, type_key, args.text("format") or "xlsx", args.text("filter"),
                              args.text("fields"), args.text("sort"), "zh" if language == "zh" else "en")
    response = _download(result.body, result.file_name, result.content_type)
    response.headers["X-Rows"] = str(result.rows)
    return response


SCHEMAS: dict[str, Schema] = {
    "ImportOptions": {**ANY_OBJECT, "description": "mapping {column header: field key | null}, mode "
                      "insert|update|upsert, key (a unique field, for update/upsert), onError abort|skip, dryRun, "
                      "fireRules (default false: imported rows fire no record-event rules), sheet, "
                      "encoding (utf-8 | gb18030), timezone (IANA name such as Asia/Shanghai: what a date-time "
                      "cell without a zone means; default UTC)"},
    "Import": obj({"id": STRING, "type": STRING, "status": STRING, "dryRun": {"type": "boolean"}, "file": STRING,
                   "mode": STRING, "key": {"type": ["string", "null"]}, "onError": STRING, "mapping": ANY_OBJECT,
                   "header": {"type": "array", "items": STRING},
                   "sheet": {"type": ["string", "null"]}, "totalRows": {"type": ["integer", "null"]},
                   "rowsDone": INTEGER, "valid": INTEGER, "invalid": INTEGER, "inserted": INTEGER,
                   "updated": INTEGER, "rate": {"type": ["number", "null"]},
                   "secondsLeft": {"type": ["number", "null"]}, "message": {"type": ["string", "null"]},
                   "createdBy": STRING, "createdAt": STRING, "finishedAt": {"type": ["string", "null"]},
                   "preview": {"type": "array", "items": ANY_OBJECT},
                   "errors": {"type": "array", "items": obj({"row": INTEGER, "column": {"type": ["string", "null"]},
                                                             "header": {"type": ["string", "null"]}, "value": {},
                                                             "message": STRING})},
                   "ignored": {"type": "array", "items": STRING}}, optional=("ignored",)),
}
XLSX_CONTENT = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {
    "type": "string", "format": "binary"}}}


def paths() -> dict[str, dict[str, Any]]:
    upload = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": ".xlsx .xlsm .xls .xlsb .ods .csv"},
            "options": {"type": "string", "description": "ImportOptions as JSON text"}}}}}}
    return {
        "/api/v1/records/{type_key}/imports": {"post": op(
            "startImport", "records", "Import records from a spreadsheet (permission `import`)",
            {202: ("Queued as a background job", "Import"), 200: ("A small dry run, done: the preview", "Import")},
            (400, 401, 403, 404, 413, 422), [TYPE], request=upload,
            description="The file, its header and the mapping are checked at once (4xx naming file, sheet, row, "
                        "column); rows are converted, validated and written by a job in committed chunks.")},
        "/api/v1/imports/{import_id}": {"get": op(
            "getImport", "records", "An import: status, counts, progress, preview, first 100 errors",
            {200: ("The import", "Import")}, (401, 404), [IMPORT_ID])},
        "/api/v1/imports/{import_id}/cancel": {"post": op(
            "cancelImport", "records", "Cancel a running import (committed chunks stay)",
            {200: ("Cancel requested", "Import")}, (401, 404, 409), [IMPORT_ID])},
        "/api/v1/imports/{import_id}/commit": {"post": op(
            "commitImport", "records", "Import a previewed file for real, with confirmed options",
            {202: ("Queued", "Import")}, (400, 401, 403, 404, 422), [IMPORT_ID],
            request={"required": False, "content": {"application/json": {"schema": obj(
                {"options": ref("ImportOptions")}, optional=("options",))}}})},
        "/api/v1/imports/{import_id}/errors.xlsx": {"get": op(
            "getImportErrors", "records", "The refused rows as a workbook, a message column naming each cell",
            {200: ("The workbook", XLSX_CONTENT)}, (401, 404), [IMPORT_ID])},
        "/api/v1/records/{type_key}/template.xlsx": {"get": op(
            "getImportTemplate", "records", "An import template: headers, a sample row, drop-downs for selects",
            {200: ("The workbook", XLSX_CONTENT)}, (401, 403, 404), [TYPE])},
        "/api/v1/records/{type_key}/export": {"get": op(
            "exportRecords", "records", "Export records (permission `export`) to .xlsx or .csv, streamed",
            {200: ("The file", {**XLSX_CONTENT, "text/csv": {"schema": {"type": "string"}}})},
            (400, 401, 403, 404), [TYPE, query("format", "xlsx (default) or csv"),
                                   query("filter", "JEXL filter, as the list takes"),
                                   query("fields", "Comma-separated field keys (default: all you may export)"),
                                   query("sort", "As the list takes"), query("lang", "en or zh (headers)")])},
    }


__all__ = ["INTEGER", "SCHEMAS", "paths"]
