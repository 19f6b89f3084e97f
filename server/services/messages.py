"""Messages and signals between the outside world, instances and processes.

A message reaches the instances waiting for it (event_subscription rows) that match its business key
or correlation keys (instance variables); if none waits, a process with a message start event of that
name starts. A signal is a broadcast: every waiting instance and every signal start event. Each
instance is changed in its own transaction, so one failing delivery does not undo the others.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_role
from server.db import Database
from server.engine.callees import loaded_version
from server.engine.runner import Runner
from server.engine.starts import triggers
from server.errors import BadRequest, NotFound
from server.events import LIVE_STATUSES
from server.forms.limits import check_business_key, check_value, check_variables
from server.models import EventSubscription, ProcessInstance, ProcessVersion
from server.models.instance import variable_text
from server.services.job_events import publish_job_event
from server.services.jobs import JobContext

MAX_NAME = 255


def _waiting(session: Session, kind: str, name: str, business_key: str | None,
             correlation: dict[str, Any] | None) -> list[str]:
    query = (select(EventSubscription.instance_id).join(ProcessInstance,
                                                         ProcessInstance.id == EventSubscription.instance_id)
             .where(EventSubscription.kind == kind, EventSubscription.name == name,
                    ProcessInstance.status.in_(LIVE_STATUSES)))
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    for key, value in (correlation or {}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        query = query.where(variable_text(session, key) == text)
    return list(dict.fromkeys(session.scalars(query.order_by(EventSubscription.id))))


def _start_events(session: Session, kind: str, name: str) -> list[tuple[int, str]]:
    """(latest version id, start event id) of every process that starts on this message or signal."""
    found = []
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.is_latest)):
        for trigger in triggers(loaded_version(session, version).spec):
            if trigger.kind == kind and trigger.name == name:
                found.append((version.id, trigger.element_id))
    return found


def deliver(database: Database, runner: Runner, actor: str, kind: str, name: str, variables: dict[str, Any],
            business_key: str | None = None, correlation: dict[str, Any] | None = None,
            exclude: str | None = None) -> dict[str, list[str]]:
    """Deliver to waiting instances, else (messages) or also (signals) start processes."""
    with database.read() as session:
        waiting = [i for i in _waiting(session, kind, name, business_key, correlation) if i != exclude]
    reached: list[str] = []
    for instance_id in waiting:
        with database.write() as session:
            instance = runner.lock_instance(session, instance_id)
            if instance.status in LIVE_STATUSES and runner.deliver(session, instance, kind, name,
                                                                          variables, actor):
                reached.append(instance_id)
        if kind == "message" and reached:
            break  # a message goes to one instance; a signal to all
    started: list[str] = []
    if kind == "signal" or not reached:
        with database.read() as session:
            starts = _start_events(session, kind, name)
        for version_id, element_id in starts:
            with database.write() as session:
                version = session.get(ProcessVersion, version_id)
                instance = runner.start_at_event(session, version, element_id, variables, business_key, actor)
                started.append(instance.id)
            if kind == "message":
                break
    return {"instances": reached, "started": started}


def _request(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise BadRequest("name must be a non-empty string (the BPMN message or signal name)", field="name")
    check_value(name, "name")
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise BadRequest("variables must be a JSON object", field="variables")
    check_variables(variables)
    return name.strip(), variables


def send_message(database: Database, runner: Runner, who: Principal, body: dict[str, Any]) -> dict[str, Any]:
    require_role(who, "admin")
    name, variables = _request(body)
    business_key, correlation = body.get("businessKey"), body.get("correlationKeys")
    if business_key is not None and not isinstance(business_key, str):
        raise BadRequest("businessKey must be a string", field="businessKey")
    check_business_key(business_key)
    if correlation is not None and (not isinstance(correlation, dict) or not all(
            isinstance(k, str) and k.isidentifier() for k in correlation)):
        raise BadRequest("correlationKeys must be an object of variable names to values", field="correlationKeys")
    check_value(correlation, "correlationKeys")
    if not isinstance(body.get("allowNoMatch", False), bool):
        raise BadRequest("allowNoMatch must be true or false", field="allowNoMatch")
    result = deliver(database, runner, who.username, "message", name, variables, business_key, correlation)
    if not result["instances"] and not result["started"] and not body.get("allowNoMatch"):
        raise NotFound(f"no instance waits for message '{name}' with that correlation, and no process starts "
                       "on it (send allowNoMatch: true to accept that)", name=name)
    return {"name": name, **result}


def send_signal(database: Database, runner: Runner, who: Principal, body: dict[str, Any]) -> dict[str, Any]:
    require_role(who, "admin")
    name, variables = _request(body)
    return {"name": name, **deliver(database, runner, who.username, "signal", name, variables)}


def route_message(ctx: JobContext) -> None:
    """A message thrown inside an instance goes to another instance (same business key) or process."""
    payload = ctx.payload
    with ctx.database.write() as session:
        if not ctx.finish(session):
            return
        publish_job_event(session, ctx, "message.routed", name=payload["name"],
                          businessKey=payload.get("businessKey"))
    # Delivered after the job is done: a crash in between loses the message rather than doubling it.
    deliver(ctx.database, ctx.runner, "system:message", "message", payload["name"], payload.get("variables") or {},
            payload.get("businessKey"), payload.get("correlationKeys"), exclude=payload.get("from"))


def route_signal(ctx: JobContext) -> None:
    payload = ctx.payload
    with ctx.database.write() as session:
        if not ctx.finish(session):
            return
        publish_job_event(session, ctx, "signal.routed", name=payload["name"])
    deliver(ctx.database, ctx.runner, "system:signal", "signal", payload["name"], payload.get("variables") or {},
            exclude=payload.get("from"))
