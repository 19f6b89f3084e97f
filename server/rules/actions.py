"""The actions a rule runs, in order; each one's result is `results.<id>` for the actions after it.

Transactional actions run in the run's job transaction (their effects commit with the job, so a crash
neither loses nor doubles them). External ones (a connector, a webhook) call out between transactions
in a job of their own, retried with backoff like a service task; `wait` continues in a later job.
In a dry run (`POST /rules/{key}/test`) every action runs in a transaction that is rolled back, and
external calls and waits are only described.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server import connectors
from server.connectors import ConnectorContext, ConnectorError
from server.connectors.retry import DEFAULT_RETRY, delay_after
from server.db import utcnow
from server.engine.directory import Directory, DirectoryError
from server.events import EmailStatus, JobStatus
from server.expressions import ExpressionError, compile_expression
from server.models import Job, Notification, User
from server.queries import PageRequest
from server.records import listing
from server.records import service as records
from server.records.service import Access
from server.rules.context import Step

MAX_MATCHED = 1000  # records one update/delete/query action may touch


@dataclass(frozen=True)
class ActionSpec:
    run: Callable[[Step], Any]
    keys: frozenset[str]
    required: frozenset[str] = frozenset()
    external: bool = False  # calls out of BOMS: runs outside a transaction, in a job of its own
    wait: bool = False


def _record_target(step: Step, access: Access) -> list[int]:
    """The triggering record, or the records matching the action's filter."""
    text = step.action.get("filter")
    if text is None:
        record = step.context.get("record") or {}
        if record.get("id") is None:
            raise step.fail("there is no triggering record; give a 'filter'")
        return [record["id"]]
    clause = listing.filter_clause(str(step.value("filter")), access.columns())
    rows = step.session.execute(select(access.table.c.id).where(clause).order_by(access.table.c.id)
                                .limit(MAX_MATCHED + 1)).scalars().all()
    if len(rows) > MAX_MATCHED:
        raise step.fail(f"the filter matches more than {MAX_MATCHED} records")
    return list(rows)


def _type_of(step: Step) -> str:
    return step.action.get("recordType") or step.trigger.get("recordType") or ""


def _fields(step: Step) -> dict[str, Any]:
    values = step.value("fields", {})
    if not isinstance(values, dict):
        raise step.fail("'fields' must be an object of field keys to values", values)
    return values


def create_record(step: Step) -> Any:
    return records.create(step.session, step.who, step.action["recordType"], _fields(step))


def update_record(step: Step) -> Any:
    type_key, values = _type_of(step), _fields(step)
    access = records.access(step.session, step.who, type_key, records.Action.UPDATE)
    updated = []
    for record_id in _record_target(step, access):
        updated.append(records.update_record(step.session, step.who, type_key, record_id, {"fields": values})["id"])
    return {"updated": updated, "count": len(updated)}


def delete_record(step: Step) -> Any:
    type_key = _type_of(step)
    access = records.access(step.session, step.who, type_key, records.Action.DELETE)
    deleted = _record_target(step, access)
    for record_id in deleted:
        records.delete_record(step.session, step.who, type_key, record_id)
    return {"deleted": deleted, "count": len(deleted)}


def query_records(step: Step) -> Any:
    limit = step.action.get("limit", 100)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_MATCHED:
        raise step.fail(f"'limit' must be 1 to {MAX_MATCHED}", limit)
    filter_text = step.value("filter")
    page = records.list_records(step.session, step.who, step.action["recordType"],
                                str(filter_text) if filter_text else None, step.action.get("sort"),
                                PageRequest(size=limit), counted=False)
    items = [{"id": r["id"], **r["fields"]} for r in page["items"]]
    return {"items": items, "count": len(items)}


def start_process(step: Step) -> Any:
    from server.services.processes import start

    variables = step.value("variables", {})
    if not isinstance(variables, dict):
        raise step.fail("'variables' must be an object", variables)
    business_key = step.value("businessKey")
    instance = start(step.session, step.runner, step.who, step.action["process"], variables,
                     None if business_key is None else str(business_key))
    return {"instanceId": instance.id, "status": instance.status}


def send_message(step: Step) -> Any:
    """Queued as the engine's own thrown messages are (a `message` job): delivered after this commits."""
    variables = step.value("variables", {})
    business_key = step.value("businessKey")
    correlation = step.value("correlationKeys")
    if correlation is not None and (not isinstance(correlation, dict) or not all(
            isinstance(v, str | int | float | bool) or v is None for v in correlation.values())):
        raise step.fail("'correlationKeys' must be an object of variable names to plain values", correlation)
    payload = {"name": step.action["message"], "variables": variables if isinstance(variables, dict) else {},
               "businessKey": None if business_key is None else str(business_key)}
    if correlation:
        payload["correlationKeys"] = correlation  # waiting instances whose variables have these values
    step.session.add(Job(kind="message", payload=payload, due_at=utcnow(), status=JobStatus.PENDING))
    return {"queued": True, **payload}


def evaluate_decision(step: Step) -> Any:
    from server.services.decisions import evaluate

    variables = step.value("variables", {})
    if not isinstance(variables, dict):
        raise step.fail("'variables' must be an object", variables)
    return evaluate(step.session, step.action["decision"], variables)


def _recipients(step: Step) -> list[str]:
    directory = Directory(step.session)
    names: set[str] = set()
    for value in (step.value("users") or []):
        names.add(str(value))
    for group in (step.value("groups") or []):
        names.update(directory.group_members(str(group)))
    field = step.action.get("userField")
    if field:
        holder = (step.context.get("record") or {}).get(field)
        if holder:
            names.add(str(holder))
    manager_of = step.value("managerOf")
    if manager_of:
        try:
            names.update(directory.chain(str(manager_of), 1))
        except DirectoryError as exc:
            raise step.fail(str(exc), manager_of) from None
    return sorted(names)


def notify(step: Step) -> Any:
    title, body = str(step.value("title") or ""), str(step.value("body") or "")
    names = _recipients(step)
    send_email = step.action.get("email", True) is not False and bool(step.config.smtp_host)
    users = step.session.execute(select(User.id, User.username, User.email)
                                 .where(User.username.in_(names), User.active.is_(True))).all()
    now = utcnow()
    for uid, _name, email in users:
        status = EmailStatus.PENDING if send_email and email else EmailStatus.NONE
        step.session.add(Notification(user_id=uid, kind="rule", title=title[:500], body=body, link=None,
                                      data={"rule": step.rule_key, "run": step.run_id}, created_at=now,
                                      email_status=status))
    return {"notified": sorted(u.username for u in users), "title": title}


def _call(step: Step, name: str, params: dict[str, Any]) -> Any:
    retry = step.action.get("retry") or DEFAULT_RETRY
    context = ConnectorContext(instance_id=f"rule-run:{step.run_id}", element_id=step.action_id,
                               attempt=step.attempt, config=step.config)
    try:
        return connectors.get(name)(params, context)
    except ConnectorError as exc:
        failed = step.fail(exc.message, params, retryable=exc.retryable)
        failed.delay = delay_after(retry, step.attempt)  # type: ignore[attr-defined]
        failed.attempts = retry["maxAttempts"]  # type: ignore[attr-defined]
        raise failed from None


def call_connector(step: Step) -> Any:
    params = step.value("params", {})
    if not isinstance(params, dict):
        raise step.fail("'params' must be an object", params)
    return _call(step, step.action["connector"], params)


def call_webhook(step: Step) -> Any:
    params = {k: step.value(k) for k in ("url", "method", "headers", "body", "timeout") if k in step.action}
    params.setdefault("method", "POST")
    return _call(step, "http", params)


def wait(step: Step) -> Any:
    return {"minutes": step.action["minutes"]}


def stop_if(step: Step) -> Any:
    try:
        stop = bool(compile_expression(step.action["condition"]).evaluate(step.scope))
    except ExpressionError as exc:
        raise step.fail(str(exc), step.action["condition"]) from None
    return {"stop": stop}


ACTIONS: dict[str, ActionSpec] = {
    "create_record": ActionSpec(create_record, frozenset({"recordType", "fields"}), frozenset({"recordType",
                                                                                              "fields"})),
    "update_record": ActionSpec(update_record, frozenset({"recordType", "filter", "fields"}), frozenset({"fields"})),
    "delete_record": ActionSpec(delete_record, frozenset({"recordType", "filter"})),
    "query_records": ActionSpec(query_records, frozenset({"recordType", "filter", "sort", "limit"}),
                                frozenset({"recordType"})),
    "start_process": ActionSpec(start_process, frozenset({"process", "variables", "businessKey"}),
                                frozenset({"process"})),
    "send_message": ActionSpec(send_message, frozenset({"message", "variables", "businessKey", "correlationKeys"}),
                               frozenset({"message"})),
    "evaluate_decision": ActionSpec(evaluate_decision, frozenset({"decision", "variables"}), frozenset({"decision"})),
    "notify": ActionSpec(notify, frozenset({"users", "groups", "userField", "managerOf", "title", "body", "email"}),
                         frozenset({"title"})),
    "call_connector": ActionSpec(call_connector, frozenset({"connector", "params", "retry"}),
                                 frozenset({"connector"}), external=True),
    "call_webhook": ActionSpec(call_webhook, frozenset({"url", "method", "headers", "body", "timeout", "retry"}),
                               frozenset({"url"}), external=True),
    "wait": ActionSpec(wait, frozenset({"minutes"}), frozenset({"minutes"}), wait=True),
    "stop_if": ActionSpec(stop_if, frozenset({"condition"}), frozenset({"condition"})),
}

