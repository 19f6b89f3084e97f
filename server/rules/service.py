"""Rules over the API and the admin UI: each function is one permission-checked call.

Designers (admin, modeler) save, enable, disable, delete, test and trigger rules and retry runs;
auditors read rules and runs too; staff run manual rules on records they may update (manual.py).
A webhook call needs no account: its HMAC signature is its proof.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal, require_role
from server.config import Config
from server.db import utcnow
from server.errors import BadRequest, Conflict, NotFound, Unauthorized
from server.events import EventKind, RuleRunStatus, SubjectType
from server.models import Rule, RuleRun
from server.queries import id_value
from server.rules import store
from server.rules.manual import DESIGNERS
from server.rules.manual import trigger as trigger  # the API calls it here with the others
from server.rules.runs import RUN_JOB, enqueue, offer

READERS = ("admin", "modeler", "auditor")
SIGNATURE_HEADER = "X-BOMS-Signature"
DELIVERY_HEADER = "X-BOMS-Delivery"


def describe(row: Rule, who: Principal, full: bool = True) -> dict[str, Any]:
    body = {**row.definition, "enabled": row.enabled, "version": row.version, "createdAt":
            row.created_at.isoformat() + "Z", "createdBy": row.created_by}
    if full and row.secret and who.has(*DESIGNERS):
        body["webhookSecret"] = row.secret
    return body


def save(session: Session, who: Principal, raw: Any, key: str | None = None) -> tuple[dict[str, Any], bool]:
    require_role(who, *DESIGNERS)
    row, created = store.save(session, raw, who.username, key)
    return describe(row, who), created


def list_rules(session: Session, who: Principal) -> dict[str, Any]:
    require_role(who, *READERS)
    rows = list(session.scalars(select(Rule).where(Rule.is_latest.is_(True), Rule.deleted.is_(False))
                                .order_by(Rule.key)))
    since = utcnow() - timedelta(hours=24)
    failures = dict(session.execute(select(RuleRun.rule_key, func.count()).where(
        RuleRun.status == RuleRunStatus.FAILED, RuleRun.created_at >= since).group_by(RuleRun.rule_key)).all())
    last = dict(session.execute(select(RuleRun.rule_key, func.max(RuleRun.created_at))
                                .group_by(RuleRun.rule_key)).all())
    return {"items": [{"key": r.key, "name": r.name, "version": r.version, "enabled": r.enabled,
                       "trigger": r.definition["trigger"], "lastRunAt": last[r.key].isoformat() + "Z"
                       if last.get(r.key) else None, "failures24h": failures.get(r.key, 0)} for r in rows]}


def get(session: Session, who: Principal, key: str) -> dict[str, Any]:
    require_role(who, *READERS)
    return describe(store.require(session, key), who)


def set_enabled(session: Session, who: Principal, key: str, enabled: bool) -> dict[str, Any]:
    require_role(who, *DESIGNERS)
    return describe(store.set_enabled(session, key, enabled, who.username), who)


def delete(session: Session, who: Principal, key: str) -> None:
    require_role(who, *DESIGNERS)
    store.remove(session, key, who.username)


def run_json(run: RuleRun, steps: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": run.id, "rule": run.rule_key, "ruleVersion": run.rule_version,
                            "trigger": run.trigger, "eventKey": run.event_key, "status": run.status,
                            "depth": run.depth, "chain": run.chain, "actor": run.actor, "error": run.error,
                            "failedAction": run.failed_action, "createdAt": run.created_at.isoformat() + "Z",
                            "finishedAt": run.finished_at.isoformat() + "Z" if run.finished_at else None}
    if steps:
        body.update(steps=run.steps, context=run.context, results=run.results)
    return body


def list_runs(session: Session, who: Principal, key: str | None, status: str | None = None,
              limit: int = 100, before: int | None = None) -> dict[str, Any]:
    require_role(who, *READERS)
    query = select(RuleRun).order_by(RuleRun.id.desc()).limit(limit)
    if key is not None:
        if store.latest(session, key, include_deleted=True) is None:
            raise NotFound(f"no rule '{key}'")
        query = query.where(RuleRun.rule_key == key)
    if status is not None:
        if status not in set(RuleRunStatus):
            raise BadRequest(f"status must be one of {', '.join(RuleRunStatus)}", field="status")
        query = query.where(RuleRun.status == status)
    if before is not None:
        query = query.where(RuleRun.id < before)
    runs = list(session.scalars(query))
    return {"items": [run_json(r, steps=False) for r in runs],
            "nextBefore": runs[-1].id if len(runs) == limit else None}


def _run(session: Session, run_id: Any) -> RuleRun:
    number = id_value(run_id)
    run = session.get(RuleRun, number) if number is not None else None
    if run is None:
        raise NotFound(f"no rule run {run_id}")
    return run


def get_run(session: Session, who: Principal, run_id: Any) -> dict[str, Any]:
    require_role(who, *READERS)
    return run_json(_run(session, run_id))


def retry(session: Session, who: Principal, run_id: Any) -> dict[str, Any]:
    """A failed run again from the action that failed (the ones before it are not repeated)."""
    require_role(who, *DESIGNERS)
    run = _run(session, run_id)
    if run.status != RuleRunStatus.FAILED or run.failed_action in ("trigger", "condition"):
        raise Conflict(f"rule run {run.id} is {run.status}" + (" before any action; nothing to retry"
                       if run.status == RuleRunStatus.FAILED else "; only a failed run can be retried"))
    run.status, run.error, run.failed_action, run.finished_at = RuleRunStatus.PENDING, None, None, None
    enqueue(session, run.id, RUN_JOB)
    publish(session, Event(EventKind.RULE_RUN_RETRIED, who.username, subject_type=SubjectType.RULE,
                           subject_id=run.rule_key, data={"run": run.id, "cursor": run.cursor}))
    return run_json(run)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(bytes.fromhex(secret), body, hashlib.sha256).hexdigest()


def webhook(session: Session, config: Config, key: str, body: bytes, headers: Any) -> dict[str, Any]:
    """POST /hooks/{key}: verified by the rule's secret; a delivery id makes a resent call run once."""
    import json

    rule = store.latest(session, key)
    if rule is None or rule.trigger_type != "webhook" or not rule.secret:
        raise NotFound(f"no webhook rule '{key}'")
    given = headers.get(SIGNATURE_HEADER) or ""
    if not hmac.compare_digest(given.strip(), signature(rule.secret, body)):
        raise Unauthorized(f"the {SIGNATURE_HEADER} header is missing or does not match the body "
                           "(sha256=HMAC-SHA256 of the raw body with the rule's secret, hex)")
    if not rule.enabled:
        raise Conflict(f"rule '{key}' is disabled")
    try:
        payload = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the body must be JSON", field="body") from None
    delivery = (headers.get(DELIVERY_HEADER) or "").strip()[:120] or uuid.uuid4().hex
    run_id = offer(session, config, rule, f"hook:{delivery}", "webhook", {"payload": payload}, f"webhook:{key}")
    existing = run_id or session.scalar(select(RuleRun.id).where(RuleRun.rule_key == key,
                                                                 RuleRun.event_key == f"hook:{delivery}"))
    return {"accepted": True, "run": existing, "delivery": delivery}
