"""Record types and records over the API: each route translates HTTP into one server.records call."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.common import json_body, principal, reading, writing
from server.api.openapi import ANY_OBJECT, INTEGER, STRING, Schema, obj, op, p, param, query, ref
from server.errors import BadRequest
from server.queries import QueryArgs, page_request
from server.records import bulk, bulk_edit, schema_changes, service, type_deletion, types

KEY = param("key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The record type's key")
TYPE = param("type_key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The record type's key")
RECORD_ID = param("record_id", "path", {"type": "integer", "minimum": 1}, "The record's id")


@api.get("/record-types")
def list_record_types() -> Any:
    who = principal()
    with reading() as session:
        return {"items": types.list_types(session, who)}


@api.post("/record-types")
def create_record_type() -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        row, created = types.save_by(session, who, body)
        answer = types.describe(row, who)
    return answer, 201 if created else 200


@api.get("/record-types/<key>")
def get_record_type(key: str) -> Any:
    who = principal()
    with reading() as session:
        return types.get(session, who, key)


@api.put("/record-types/<key>")
def put_record_type(key: str) -> Any:
    who = principal()
    body = json_body()
    clear = QueryArgs(request.args).choice("clearUnconvertible", ("true", "false"), "false") == "true"
    with writing() as session:
        row, created = types.save_by(session, who, body, key, clear)
        answer = types.describe(row, who)
    return answer, 201 if created else 200


@api.post("/record-types/<key>/preview")
def preview_record_type(key: str) -> Any:
    who = principal()
    body = json_body()
    with reading() as session:
        return types.preview(session, who, body, key)


@api.delete("/record-types/<key>")
def delete_record_type(key: str) -> Any:
    who = principal()
    with writing() as session:
        return type_deletion.delete_type(session, who, key)


@api.post("/record-types/<key>/purge")
def purge_record_type_field(key: str) -> Any:
    who = principal()
    body = json_body()
    if set(body) != {"field"}:
        raise BadRequest("send {\"field\": \"the removed field's key\"}", field="field")
    with writing() as session:
        return schema_changes.purge_field(session, who, key, body["field"])


@api.get("/record-types/<key>/schema")
def get_record_type_schema(key: str) -> Any:
    who = principal()
    with reading() as session:
        return types.schema(session, who, key)


@api.get("/records/<type_key>")
def list_records(type_key: str) -> Any:
    who = principal()
    args = QueryArgs(request.args)
    unknown = sorted(set(request.args) - {"filter", "sort", "page", "pageSize", "cursor", "q", "fields"})
    if unknown:
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}", field=unknown[0])
    paging = page_request(args)
    with reading() as session:
        return service.list_records(session, who, type_key, args.text("filter"), args.text("sort"), paging,
                                    args.text("q"), args.text("fields"))


@api.post("/records/<type_key>")
def create_record(type_key: str) -> Any:
    who = principal()
    body = json_body()
    if set(body) != {"fields"}:
        raise BadRequest("send {\"fields\": {field: value, ...}}", field="fields")
    values = body["fields"]
    with writing() as session:
        return service.create(session, who, type_key, values), 201


@api.post("/records/<type_key>/bulk")
def bulk_records(type_key: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        return bulk.bulk(session, who, type_key, body)


@api.post("/records/<type_key>/bulk-edit")
def bulk_edit_records(type_key: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        return bulk_edit.edit_records(session, who, type_key, body)


@api.get("/records/<type_key>/<record_id:record_id>")
def get_record(type_key: str, record_id: str) -> Any:
    who = principal()
    with reading() as session:
        return service.get(session, who, type_key, record_id)


def _if_match() -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    text = header.strip().strip('"').removeprefix("W/").strip('"')
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise BadRequest("If-Match must be the record's version number", field="If-Match")
    return int(text)


@api.patch("/records/<type_key>/<record_id:record_id>")
def patch_record(type_key: str, record_id: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        return service.update_record(session, who, type_key, record_id, body, _if_match())


@api.delete("/records/<type_key>/<record_id:record_id>")
def delete_record(type_key: str, record_id: str) -> Any:
    who = principal()
    args = QueryArgs(request.args)
    version = args.integer("version", None, 1, 2**31 - 1)
    match = _if_match()
    with writing() as session:
        service.delete_record(session, who, type_key, record_id, version if version is not None else match)
    return "", 204


@api.get("/records/<type_key>/<record_id:record_id>/history")
def record_history(type_key: str, record_id: str) -> Any:
    who = principal()
    with reading() as session:
        return service.history(session, who, type_key, record_id)


SCHEMAS: dict[str, Schema] = {
    "RecordTypeDefinition": {**ANY_OBJECT, "description": "key, name {en, zh}, fields [...], permissions [...] "
                             "(README, 'Records'); also accepted wrapped as {\"recordType\": {...}}"},
    "RecordType": {**ANY_OBJECT, "description": "The definition as saved, with version, createdAt, createdBy; "
                   "only the fields the caller may read"},
    "RecordTypeList": obj({"items": {"type": "array", "items": obj({"key": STRING, "name": ANY_OBJECT,
                                                                     "version": INTEGER})}}),
    "Record": obj({"id": INTEGER, "type": STRING, "version": INTEGER, "fields": {
        **ANY_OBJECT, "description": "Field key -> value, as the type's JSON Schema (GET /record-types/{key}/schema) "
        "says: a relation to many is a list of ids, an attachment a list of FileReference"},
                   "createdAt": STRING, "createdBy": STRING, "updatedAt": STRING, "updatedBy": STRING}),
    "RecordPage": obj({"items": {"type": "array", "items": ref("Record")}, "page": INTEGER, "total": INTEGER,
                       "totalAbove": INTEGER, "pageSize": INTEGER, "nextCursor": {"type": ["string", "null"]}},
                      optional=("page", "total", "totalAbove")),
    "RecordWrite": obj({"fields": ANY_OBJECT, "version": INTEGER}, optional=("version",)),
    "RecordBulk": obj({"create": {"type": "array", "items": ref("RecordWrite")},
                       "update": {"type": "array", "items": obj({"id": INTEGER, "fields": ANY_OBJECT,
                                                                 "version": INTEGER}, optional=("version",))},
                       "delete": {"type": "array", "items": obj({"id": INTEGER, "version": INTEGER},
                                                                optional=("version",))}},
                      optional=("create", "update", "delete")),
    "RecordBulkResult": obj({"type": STRING, "created": {"type": "array", "items": INTEGER},
                             "updated": {"type": "array", "items": INTEGER},
                             "deleted": {"type": "array", "items": INTEGER}}),
    "RecordBulkEdit": obj({
        "ids": {"type": "array", "items": INTEGER, "description": "The chosen records (1 to 1,000): all or nothing"},
        "versions": {**ANY_OBJECT, "description": "Record id -> the version shown; a record changed since is refused"},
        "all": {"type": "boolean", "description": "true: every record matching filter and q (at most 50,000), in "
                                                  "batches; a refused record is reported and left unchanged"},
        "filter": STRING, "q": STRING,
        "set": {**ANY_OBJECT, "description": "Field -> the value every record gets (null clears)"},
        "add": {**ANY_OBJECT, "description": "List field (multi-select, users, groups, relation to many) -> values "
                                             "added to each record's list"},
        "remove": {**ANY_OBJECT, "description": "List field -> values taken out of each record's list"},
        "delete": {"type": "boolean", "description": "true: delete the records instead"}},
        optional=("ids", "versions", "all", "filter", "q", "set", "add", "remove", "delete")),
    "RecordBulkEditResult": obj({"type": STRING, "matched": INTEGER, "changed": INTEGER,
                                 "ids": {"type": "array", "items": INTEGER},
                                 "refusedCount": INTEGER, "refused": {"type": "array", "items": ANY_OBJECT}}),
    "RecordHistory": obj({"type": STRING, "id": INTEGER, "items": {"type": "array", "items": obj({
        "at": STRING, "actor": STRING, "kind": STRING, "version": INTEGER, "changes": ANY_OBJECT})}}),
}


def _json(schema: str, required: bool = True) -> Schema:
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


def paths() -> dict[str, dict[str, Any]]:
    saved = {201: ("A new version was saved", "RecordType"), 200: ("Unchanged: the same as the latest version",
                                                                    "RecordType")}
    return {
        "/api/v1/record-types": {
            "get": op("listRecordTypes", "records", "Record types the caller may see", {200: ("The types",
                      "RecordTypeList")}, (401,)),
            "post": op("createRecordType", "records", "Save a record type (admin, modeler)", saved,
                       (400, 401, 403, 413, 422), request=_json("RecordTypeDefinition")),
        },
        "/api/v1/record-types/{key}": {
            "get": op("getRecordType", "records", "A record type's latest version", {200: ("The type",
                      "RecordType")}, (401, 404), [KEY]),
            "delete": op("deleteRecordType", "records", "Delete a record type nothing uses any more (admin)",
                         {200: ("Deleted: the table dropped, the versions kept as the archive",
                                {"application/json": {"schema": ANY_OBJECT}})}, (401, 403, 404, 409), [KEY],
                         description="Refused (409) while the type has records, or processes, other types, rules "
                                     "or dashboards name it, listing them (usedBy)."),
            "put": op("putRecordType", "records", "Save a new version of a record type (admin, modeler)", saved,
                      (400, 401, 403, 413, 422), [KEY, query("clearUnconvertible", "true: clear the values "
                                                             "that do not convert to a field's new type",
                                                             {"type": "boolean"})],
                      request=_json("RecordTypeDefinition"),
                      description="Fields may be added (filled with their default) and relabelled; a field left "
                                  "out is removed: hidden, its data kept (removedFields) until purged; adding it "
                                  "back brings its data back. Changing a plain field's type converts its values; "
                                  "if some records would not convert the save is a 422 (code unconvertible, "
                                  "listing them under changes) unless clearUnconvertible=true clears those "
                                  "values (audited). POST .../preview shows the same without saving."),
        },
        "/api/v1/record-types/{key}/preview": {"post": op(
            "previewRecordType", "records", "What saving this definition would change, without saving "
            "(admin, modeler)", {200: ("The fields added, removed, relabelled and changed, and per changed type "
                                       "the records that would not convert", {"application/json": {"schema":
                                                                                  ANY_OBJECT}})},
            (400, 401, 403, 404), [KEY], request=_json("RecordTypeDefinition"))},
        "/api/v1/record-types/{key}/purge": {"post": op(
            "purgeRecordTypeField", "records", "Drop a removed field's kept data for good (admin)",
            {200: ("Purged", {"application/json": {"schema": obj({
                "key": STRING, "purged": STRING, "removedFields": {"type": "array", "items": STRING}})}})},
            (400, 401, 403, 404), [KEY], request={"required": True, "content": {"application/json": {
                "schema": obj({"field": STRING})}}})},
        "/api/v1/record-types/{key}/schema": {"get": op(
            "getRecordTypeSchema", "records", "JSON Schema of a record (the fields the caller may read)",
            {200: ("JSON Schema", {"application/json": {"schema": ANY_OBJECT}})}, (401, 404), [KEY])},
        "/api/v1/records/{type_key}": {
            "get": op("listRecords", "records", "Records of a type", {200: ("A page", "RecordPage")},
                      (400, 401, 403, 404), [TYPE, query("filter", "JEXL filter subset, compiled to SQL: "
                                                         "`amount >= 5000 && status in [\"open\",\"late\"]`"),
                                             query("sort", "Comma-separated fields, '-' for descending: "
                                                   "`-amount,name`; through a relation: `customer.name`"),
                                             query("q", "Words that must each occur (ignoring case) in some text "
                                                        "field"),
                                             query("fields", "Comma-separated fields to return: `name,amount`"),
                                             p("page"), p("pageSize"), p("cursor")],
                      description="`filter` may name a relation's fields (`customer.region == \"north\"`), "
                                  "`$me` (the caller's username) and dates as `\"2026-01-01\"|date`. A list field "
                                  "(multi-select, users or groups of several, a relation to many) is tested by what "
                                  "it holds: `tags|containsAny([\"a\",\"b\"])`, `tags|containsAll([...])`, "
                                  "`tags|contains(\"a\")`, `\"a\" in tags`, `tags == null`."),
            "post": op("createRecord", "records", "Create a record", {201: ("Created", "Record")},
                       (400, 401, 403, 404, 413, 422), [TYPE], request=_json("RecordWrite")),
        },
        "/api/v1/records/{type_key}/bulk": {"post": op(
            "bulkRecords", "records", "Create, update and delete up to 1,000 records, all or nothing",
            {200: ("Written", "RecordBulkResult")}, (400, 401, 403, 404, 413, 422), [TYPE],
            request=_json("RecordBulk"),
            description="Creates and updates go through the batch path (the single path's validator, "
                        "permissions, references, auto-numbers and formulas; one executemany; one audit event "
                        "per record); deletes run one by one. If any row is refused, the 422 lists each refused "
                        "row (op, index, status, error naming the field) and nothing is written. Needs the `bulk` "
                        "action beside each row's create, update or delete (403 without it).")},
        "/api/v1/records/{type_key}/bulk-edit": {"post": op(
            "bulkEditRecords", "records", "Set, add to, remove from or delete chosen or all matching records",
            {200: ("Done", "RecordBulkEditResult")}, (400, 401, 403, 404, 409, 413, 422), [TYPE],
            request=_json("RecordBulkEdit"),
            description="`ids`: all or nothing, as the bulk call (422 naming each refused record by id). `all`: "
                        "every record the caller can read matching `filter` and `q`, in batches of 500 in one "
                        "transaction; each record is checked for the action's permissions, row scope and "
                        "validator, a refused one is listed in `refused` (id, status, error) and left unchanged, "
                        "the rest applied; one audit event per record. Sub-tables, attachments and computed "
                        "fields are refused naming the field. Needs the `bulk` action.")},
        "/api/v1/records/{type_key}/{record_id}": {
            "get": op("getRecord", "records", "One record", {200: ("The record", "Record")}, (401, 403, 404),
                      [TYPE, RECORD_ID]),
            "patch": op("updateRecord", "records", "Change fields of a record", {200: ("Updated", "Record")},
                        (400, 401, 403, 404, 409, 413, 422), [TYPE, RECORD_ID], request=_json("RecordWrite"),
                        description="Send the version you read (`version` or If-Match): an older one is a 409 "
                                    "and nothing changes."),
            "delete": op("deleteRecord", "records", "Delete a record", {204: ("Deleted", {})},
                         (400, 401, 403, 404, 409), [TYPE, RECORD_ID, query("version", "The version you read; "
                                                                             "an older one is a 409", INTEGER)]),
        },
        "/api/v1/records/{type_key}/{record_id}/history": {"get": op(
            "getRecordHistory", "records", "Who changed which field from what to what, when",
            {200: ("The events, oldest first", "RecordHistory")}, (401, 403, 404), [TYPE, RECORD_ID])},
    }
