"""The records connectors: ``records.create``, ``records.update`` and ``records.query`` for service tasks.

They run inside the transaction that completes the service task (``transactional``), through the records
service: the validator, the permissions and the audit events of the pages and the API. They act as the
user who started the instance (a process started by a staff member cannot do with records what that
person may not); an instance no user started (a timer, a message, a rule) acts as ``process:<key>`` with admin
rights, as rules do, since only admins and modelers deploy processes. ``type`` is written out in the BPMN
and checked at deploy with the field keys a ``fields`` map names (server/services/record_bindings.py).

    records.create  type, fields                 -> the record: {id, type, version, fields, createdAt, ...};
                                                    the instance references it if it had no record of the type
    records.update  type, fields, id?, version?  -> the record; without ``id``, the record the instance references
    records.query   type, filter?, sort?, limit? -> {items: [{id, ...fields}], count}; limit 1..1000 (default 100)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from server.auth.permissions import Principal
from server.connectors import ConnectorContext, ConnectorError, register
from server.errors import BomsError, Conflict
from server.models import ProcessInstance, User
from server.queries import PageRequest
from server.records import service as records
from server.records.process_links import link, referenced

MAX_QUERY = 1000


def _session(context: ConnectorContext) -> Any:
    if context.session is None:
        raise ConnectorError("the records connectors run in service tasks; a rule writes records with its "
                             "create_record, update_record and query_records actions")
    return context.session


def _actor(session: Any, instance: ProcessInstance) -> Principal:
    user = session.scalar(select(User).where(User.username == instance.started_by)) if instance.started_by \
        else None
    if user is None:  # a timer, a message, a rule ("rule:<key>") started it
        return Principal(0, f"process:{instance.process_key}", frozenset({"admin"}), frozenset())
    if not user.active:
        raise ConnectorError(f"the user '{user.username}' who started the instance is inactive, so there is no "
                             "one to write records as")
    return Principal.of(user)


def _type(params: Mapping[str, Any]) -> str:
    value = params.get("type")
    if not isinstance(value, str) or not value:
        raise ConnectorError(f"'type' must be a record type key, got {value!r}")
    return value


def _fields(params: Mapping[str, Any]) -> dict[str, Any]:
    value = params.get("fields")
    if not isinstance(value, Mapping):
        raise ConnectorError(f"'fields' must be a map of field keys to values, got {type(value).__name__}")
    return dict(value)


def _refused(type_key: str, exc: BomsError) -> ConnectorError:
    fields = exc.details.get("fields")
    named = "; ".join(f"{k}: {v}" for k, v in fields.items()) if isinstance(fields, Mapping) else ""
    field = exc.details.get("field")
    where = f" (field '{field}')" if field and not named else ""
    return ConnectorError(f"records of '{type_key}': {exc.message}{where}" + (f" — {named}" if named else ""),
                          retryable=isinstance(exc, Conflict))


def _call(context: ConnectorContext, type_key: str, action: Any) -> dict[str, Any]:
    session = _session(context)
    instance = session.get(ProcessInstance, context.instance_id)
    if instance is None:
        raise ConnectorError(f"process instance '{context.instance_id}' does not exist")
    try:
        with session.begin_nested():  # a refusal leaves nothing of this call behind
            return action(session, _actor(session, instance), instance)
    except BomsError as exc:
        raise _refused(type_key, exc) from None


@register("records.create", parameters={"type", "fields"}, required={"type", "fields"}, transactional=True)
def create_record(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    type_key, values = _type(params), _fields(params)

    def act(session: Any, who: Principal, instance: ProcessInstance) -> dict[str, Any]:
        record = records.create(session, who, type_key, values)
        link(session, instance.id, type_key, record["id"], who.username)
        return record

    return _call(context, type_key, act)


@register("records.update", parameters={"type", "id", "fields", "version"}, required={"type", "fields"},
          transactional=True)
def update_record(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    type_key, values = _type(params), _fields(params)

    def act(session: Any, who: Principal, instance: ProcessInstance) -> dict[str, Any]:
        record_id = params.get("id")
        if record_id is None:
            record_id = referenced(session, instance.id, type_key)
            if record_id is None:
                raise ConnectorError(f"no 'id' given and the instance references no {type_key} record")
        body = {"fields": values, **({"version": params["version"]} if params.get("version") is not None else {})}
        return records.update_record(session, who, type_key, record_id, body)

    return _call(context, type_key, act)


@register("records.query", parameters={"type", "filter", "sort", "limit"}, required={"type"}, transactional=True)
def query_records(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    type_key = _type(params)
    limit = params.get("limit", 100)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY:
        raise ConnectorError(f"'limit' must be a whole number from 1 to {MAX_QUERY}, got {limit!r}")
    text, sort = params.get("filter"), params.get("sort")
    for name, value in (("filter", text), ("sort", sort)):
        if value is not None and not isinstance(value, str):
            raise ConnectorError(f"'{name}' must be text, got {type(value).__name__}")

    def act(session: Any, who: Principal, _instance: ProcessInstance) -> dict[str, Any]:
        page = records.list_records(session, who, type_key, text or None, sort or None, PageRequest(size=limit),
                                    counted=False)
        items = [{"id": r["id"], **r["fields"]} for r in page["items"]]
        return {"items": items, "count": len(items)}

    return _call(context, type_key, act)
