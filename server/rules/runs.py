"""Offering an event to a rule: the condition, the loop depth, the rate limit, then a run and its job.

Called inside the transaction that caused the event (the audit subscriber, the schedule sweep, a
webhook or manual call), so the run row and its `rule_run` job commit or vanish with the change:
the transactional outbox. The unique (rule_key, event_key) pair refuses a second run for one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from server.config import Config
from server.db import utcnow
from server.events import JobStatus, RuleRunStatus
from server.expressions import ExpressionError, compile_expression
from server.models import Job, RuleRun
from server.rules.cache import RuleVersion
from server.rules.context import scope_of
from server.services.job_wake import wake_after_commit

RUN_JOB = "rule_run"
CALL_JOB = "rule_call"
# The chain of rules whose actions are being run in a session: (rule keys, depth), set by the executor.
CHAIN_INFO = "boms_rule_chain"
_COUNTS = "boms_rule_recent_runs"


def chain_of(session: Session) -> tuple[list[str], int]:
    return session.info.get(CHAIN_INFO, ([], 0))


def matches(rule: RuleVersion, context: Mapping[str, Any], record_type: Mapping[str, Any] | None,
            scope: Mapping[str, Any] | None = None) -> tuple[bool, str | None]:
    """Whether the condition holds (edge rules: became true with this change); an error says why not.

    `scope`: the context's scope when the caller offers one event to several rules (built once)."""
    definition = rule.definition
    condition = definition.get("condition")
    if not condition:
        return True, None
    expression = compile_expression(condition)
    try:
        base = scope_of(context, rule.key, record_type, {}) if scope is None else {**scope, "rule": {"key": rule.key}}
        now = bool(expression.evaluate(base))
        if not now or not definition.get("edge"):
            return now, None
        old = context.get("old")
        if old is None:
            return True, None
        before = {**context, "record": old, "new": old}
        return not bool(expression.evaluate(scope_of(before, rule.key, record_type, {}))), None
    except ExpressionError as exc:
        return False, str(exc)


def _recent_runs(session: Session, rule_key: str, minutes: int) -> int:
    """Runs of the rule in the window: counted once per transaction, then counted on as this one adds runs
    (a batch of due firings or of rule runs offers one rule many times)."""
    transaction = session.get_transaction()
    counts = session.info.get(_COUNTS)
    if counts is None or counts[0] is not transaction:
        counts = session.info[_COUNTS] = (transaction, {})
    if (rule_key, minutes) not in counts[1]:
        since = utcnow() - timedelta(minutes=minutes)
        counts[1][(rule_key, minutes)] = session.scalar(select(func.count()).select_from(RuleRun).where(
            RuleRun.rule_key == rule_key, RuleRun.created_at >= since)) or 0
    return counts[1][(rule_key, minutes)]


@event.listens_for(Session, "after_soft_rollback")
def _forget_counts(session: Session, _previous: Any) -> None:
    """A savepoint rolled back (a failed run in a batch) took its run rows with it: count again."""
    session.info.pop(_COUNTS, None)


def _counted(session: Session, rule_key: str) -> None:
    counts = session.info.get(_COUNTS)
    if counts is not None and counts[0] is session.get_transaction():
        for key in counts[1]:
            if key[0] == rule_key:
                counts[1][key] += 1


def _insert(session: Session, values: dict[str, Any]) -> int:
    return session.execute(insert(RuleRun).values(values)).inserted_primary_key[0]


def offer(session: Session, config: Config, rule: RuleVersion, event_key: str, trigger: str, context: dict[str, Any],
          actor: str, record_type: Mapping[str, Any] | None = None, check_condition: bool = True,
          scope: Mapping[str, Any] | None = None, checked_new: bool = False) -> int | None:
    """Write the run (and its job) if the rule matches; returns its id, None when it does not match.

    `checked_new`: the caller looked up a batch's event keys at once and this one has no run yet."""
    values = _decide(session, config, rule, event_key, trigger, context, actor, record_type, check_condition, scope,
                     checked_new)
    if values is None:
        return None
    run_id = _insert(session, values)
    if values["status"] == RuleRunStatus.PENDING:
        enqueue(session, run_id, RUN_JOB)
    return run_id


@dataclass(frozen=True)
class Offer:
    """One event of a batch offered to one rule (offer_many); its key already looked up (no run yet)."""

    event_key: str
    trigger: str
    context: dict[str, Any]
    actor: str
    record_type: Mapping[str, Any] | None = None


_RUN_KEYS = ("status", "error", "failed_action", "finished_at")


def offer_many(session: Session, config: Config, rule: RuleVersion, offers: list[Offer]) -> int:
    """offer() for a batch of one rule's events (the schedule sweep's due firings): the run rows in one
    executemany, their jobs in another. Returns how many runs it wrote."""
    rows = [values for o in offers if (values := _decide(session, config, rule, o.event_key, o.trigger, o.context,
                                                         o.actor, o.record_type, True, None, True)) is not None]
    if not rows:
        return 0
    rows = [{**dict.fromkeys(_RUN_KEYS), **row} for row in rows]  # one statement shape for the executemany
    ids = session.scalars(insert(RuleRun).returning(RuleRun.id, sort_by_parameter_order=True), rows).all()
    pending = [run_id for run_id, row in zip(ids, rows, strict=True) if row["status"] == RuleRunStatus.PENDING]
    if pending:
        now = utcnow()
        wake_after_commit(session)
        session.execute(insert(Job), [{"kind": RUN_JOB, "payload": {"run": run_id}, "status": JobStatus.PENDING,
                                       "attempts": 0, "due_at": now, "created_at": now} for run_id in pending])
    return len(rows)


def _decide(session: Session, config: Config, rule: RuleVersion, event_key: str, trigger: str,
            context: dict[str, Any], actor: str, record_type: Mapping[str, Any] | None, check_condition: bool,
            scope: Mapping[str, Any] | None, checked_new: bool) -> dict[str, Any] | None:
    """The run row an event gets from a rule (pending, failed or limited), counted against the rate limit;
    None when the condition does not hold or the event already has a run."""
    chain, depth = chain_of(session)
    now = utcnow()
    base = {"rule_key": rule.key, "rule_version": rule.version, "event_key": event_key[:200], "trigger": trigger,
            "context": context, "depth": depth + 1, "chain": [*chain, rule.key], "cursor": 0, "steps": [],
            "results": {}, "actor": actor[:150], "created_at": now}
    # The condition first: it reads no table, and most events match few rules.
    ok, error = matches(rule, context, record_type, scope) if check_condition else (True, None)
    if not ok and error is None:
        return None
    # An audit event's seq and a manual press's uuid are unique, so only other keys (a resent webhook, a re-run
    # sweep) need the look-up.
    if not event_key.startswith(("event:", "manual:")) and not checked_new and session.scalar(
            select(RuleRun.id).where(RuleRun.rule_key == rule.key, RuleRun.event_key == event_key[:200])):
        return None
    values = _row(session, config, rule, base, error)
    _counted(session, rule.key)  # every run row counts against the rate limit, whatever its status
    return values


def _row(session: Session, config: Config, rule: RuleVersion, base: dict[str, Any], error: str | None
         ) -> dict[str, Any]:
    now, depth, chain = base["created_at"], base["depth"] - 1, base["chain"][:-1]
    if error is not None:
        return {**base, "status": RuleRunStatus.FAILED, "error": f"condition: {error}", "failed_action": "condition",
                "finished_at": now}
    if depth + 1 > config.rule_max_depth:
        return {**base, "status": RuleRunStatus.FAILED, "finished_at": now, "failed_action": "trigger",
                "error": f"loop: rules triggered rules {depth + 1} deep (at most "
                         f"{config.rule_max_depth}, BOMS_RULE_MAX_DEPTH): " + " → ".join([*chain, rule.key])}
    limit = rule.definition.get("rateLimit") or {"runs": config.rule_runs_per_minute, "perMinutes": 1}
    if _recent_runs(session, rule.key, limit["perMinutes"]) >= limit["runs"]:
        return {**base, "status": RuleRunStatus.LIMITED, "finished_at": now,
                "error": f"rate limit: {limit['runs']} runs per {limit['perMinutes']} minute(s) reached; this event "
                         "was not acted on"}
    return {**base, "status": RuleRunStatus.PENDING}


def enqueue(session: Session, run_id: int, kind: str, delay_seconds: float = 0) -> None:
    now = utcnow()
    if delay_seconds <= 0:
        wake_after_commit(session)  # the poller hands it out right after this commits, not at its next poll
    session.execute(insert(Job).values(kind=kind, payload={"run": run_id}, status=JobStatus.PENDING, attempts=0,
                                       due_at=now + timedelta(seconds=delay_seconds), created_at=now))
