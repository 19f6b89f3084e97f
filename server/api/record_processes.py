"""Processes on records over the API: start one from a record, list the instances working on it."""

from __future__ import annotations

from typing import Any

from server.api import api
from server.api.common import json_body, principal, reading, runner, writing
from server.api.openapi import ANY_OBJECT, STRING, Schema, obj, op, param, ref
from server.errors import BadRequest
from server.services import record_tasks

TYPE = param("type_key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The record type's key")
RECORD_ID = param("record_id", "path", {"type": "integer", "minimum": 1}, "The record's id")
KEYS = frozenset({"process", "businessKey"})


@api.post("/records/<type_key>/<record_id:record_id>/start")
def start_from_record(type_key: str, record_id: str) -> Any:
    who = principal()
    body = json_body()
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise BadRequest(f"unknown key(s) {', '.join(unknown)} (send {{\"process\": key, \"businessKey\"?}})",
                         field=unknown[0])
    with writing() as session:
        instance = record_tasks.start_from_record(session, runner(), who, type_key, record_id, body.get("process"),
                                                  body.get("businessKey"))
        return {"instanceId": instance.id, "processKey": instance.process_key, "status": instance.status,
                "record": {"type": type_key, "id": int(record_id)}}, 201


@api.get("/records/<type_key>/<record_id:record_id>/processes")
def record_processes(type_key: str, record_id: str) -> Any:
    who = principal()
    with reading() as session:
        instances, startable = record_tasks.record_processes(session, who, type_key, record_id)
        return {"instances": [{"id": i.id, "processKey": i.process_key, "name": i.name, "businessKey": i.business_key,
                               "status": i.status, "startedAt": i.started_at.isoformat() + "Z",
                               "startedBy": i.started_by} for i in instances],
                "startable": [{"key": v.key, "name": v.name, "version": v.version} for v in startable]}


SCHEMAS: dict[str, Schema] = {
    "RecordStart": obj({"process": STRING, "businessKey": STRING}, optional=("businessKey",)),
    "RecordStarted": obj({"instanceId": STRING, "processKey": STRING, "status": STRING, "record": ANY_OBJECT}),
    "RecordProcesses": obj({"instances": {"type": "array", "items": ANY_OBJECT},
                            "startable": {"type": "array", "items": ANY_OBJECT}}),
}


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/records/{type_key}/{record_id}/start": {"post": op(
            "startProcessFromRecord", "records", "Start a process bound to the type from this record",
            {201: ("Started; the instance references the record", "RecordStarted")}, (400, 401, 403, 404),
            [TYPE, RECORD_ID], request={"required": True, "content": {"application/json": {"schema": ref(
                "RecordStart")}}},
            description="The process's none start event has camunda:formKey=\"record:<type>\"; the instance gets "
                        "the record as the variable `record` (the fields the caller may read).")},
        "/api/v1/records/{type_key}/{record_id}/processes": {"get": op(
            "listRecordProcesses", "records", "The instances working on a record, and the processes one may "
            "start from it", {200: ("Instances and startable processes", "RecordProcesses")}, (401, 404),
            [TYPE, RECORD_ID])},
    }
