"""Running a rule run: its actions in order, in jobs, each effect committed with its job.

`rule_run` jobs run the transactional actions from the run's cursor in one transaction with the job's
finish, until the run ends, waits (a later `rule_run` job) or reaches an external call (a `rule_call`
job, slow: it calls out before its transaction, then records the result and goes on in it). A failed
action is retried with backoff (RETRY_DELAYS); after the last attempt the run is `failed` with the
action, its input and the error, and `POST /rule-runs/{id}/retry` starts it again from that action.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.db import utcnow
from server.errors import BomsError
from server.events import EventKind, RuleRunStatus, SubjectType
from server.models import RuleRun
from server.rules.actions import ACTIONS
from server.rules.cache import RuleVersion, record_type_of, rule_version
from server.rules.context import ActionFailed, Step, scope_of
from server.rules.runs import CALL_JOB, CHAIN_INFO, RUN_JOB, enqueue
from server.services.jobs import JobContext, RetryLater

logger = logging.getLogger(__name__)
RETRY_DELAYS = (5, 30)  # seconds before the 2nd and 3rd attempt of a failing action
LIVE = (RuleRunStatus.PENDING, RuleRunStatus.RUNNING, RuleRunStatus.WAITING)


class _Pause(Exception):
    """Stop running actions for now: the next job is queued."""


def version_of(session: Session, run: RuleRun) -> RuleVersion:
    rule = rule_version(session, run.rule_key, run.rule_version)
    if rule is None:
        raise ActionFailed("trigger", f"rule '{run.rule_key}' version {run.rule_version} no longer exists")
    return rule


def step_for(session: Session, ctx_runner: Any, config: Any, rule: RuleVersion, run: RuleRun, attempt: int = 1,
             dry: bool = False) -> Step:
    trigger = rule.definition["trigger"]
    type_row = record_type_of(session, trigger["recordType"]) if trigger.get("recordType") else None
    scope = scope_of(run.context, rule.key, type_row.definition if type_row else None, run.results or {})
    return Step(session, ctx_runner, config, rule.key, run.id, run.context, scope, trigger, dry=dry, attempt=attempt)


def _record(run: RuleRun, action: dict[str, Any], started: float, result: Any = None, note: str | None = None) -> None:
    entry = {"action": action["id"], "type": action["type"], "at": utcnow().isoformat() + "Z",
             "ms": round((time.perf_counter() - started) * 1000, 2), "result": result}
    if note:
        entry["note"] = note
    run.steps = [*(run.steps or []), entry]
    run.results = {**(run.results or {}), action["id"]: result}
    run.cursor += 1


def advance(session: Session, step: Step, rule: RuleVersion, run: RuleRun) -> None:
    """Run actions from the cursor until the end, a wait or an external call (which queue the next job)."""
    actions = rule.definition["actions"]
    session.info[CHAIN_INFO] = (list(run.chain or []), run.depth)
    try:
        while run.cursor < len(actions):
            action = actions[run.cursor]
            spec = ACTIONS[action["type"]]
            if spec.external:
                run.status = RuleRunStatus.RUNNING
                if not step.dry:
                    enqueue(session, run.id, CALL_JOB)
                    raise _Pause
                _record(run, action, time.perf_counter(), None, "would call out (not in a dry run)")
                continue
            started = time.perf_counter()
            step.action = action
            step.scope["results"] = dict(run.results or {})
            try:
                result = spec.run(step)
            except ActionFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - named after the action that failed
                failure = _wrap(exc, action["id"])
                failure.given = {k: v for k, v in action.items() if k not in ("id", "type")}
                raise failure from exc
            _record(run, action, started, result)
            if spec.wait:
                run.status = RuleRunStatus.WAITING
                if not step.dry:
                    enqueue(session, run.id, RUN_JOB, delay_seconds=action["minutes"] * 60)
                    raise _Pause
            if action["type"] == "stop_if" and result["stop"]:
                run.status, run.finished_at = RuleRunStatus.STOPPED, utcnow()
                return
        run.status, run.finished_at = RuleRunStatus.DONE, utcnow()
    except _Pause:
        return
    finally:
        session.info.pop(CHAIN_INFO, None)


def _lock(session: Session, run_id: int) -> RuleRun | None:
    query = select(RuleRun).where(RuleRun.id == run_id)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return session.scalar(query)


def _wrap(exc: Exception, action: str) -> ActionFailed:
    if isinstance(exc, ActionFailed):
        return exc
    if isinstance(exc, BomsError):
        fields = exc.details.get("fields")
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items()) if isinstance(fields, dict) else ""
        message = "records: " + exc.message if exc.message.startswith("The submitted variables") else exc.message
        return ActionFailed(action, f"{message} ({detail})" if detail else message,
                            retryable=exc.status >= 500 or exc.status == 409)
    if isinstance(exc, OperationalError):
        return ActionFailed(action, f"database: {exc.orig}", retryable=True)
    return ActionFailed(action, f"{type(exc).__name__}: {exc}", retryable=True)


def run_rule(ctx: JobContext) -> None:
    """The `rule_run` job: transactional actions from the cursor."""
    run_id = ctx.payload["run"]
    action_id = "?"
    try:
        with ctx.transaction() as session:
            if not ctx.finish(session):
                return
            run = _lock(session, run_id)
            if run is None or run.status not in LIVE:
                return
            rule = version_of(session, run)
            actions = rule.definition["actions"]
            action_id = actions[run.cursor]["id"] if run.cursor < len(actions) else "?"
            run.status = RuleRunStatus.RUNNING
            advance(session, step_for(session, ctx.runner, ctx.config, rule, run, ctx.attempts), rule, run)
    except Exception as exc:  # noqa: BLE001 - every failure is a retry or a failed run, never lost
        _failed(ctx, run_id, _wrap(exc, action_id))


def call_rule(ctx: JobContext) -> None:
    """The `rule_call` job: the external action at the cursor, then the rest in a transaction."""
    run_id = ctx.payload["run"]
    action_id = "?"
    try:
        with ctx.database.read() as session:
            run = session.get(RuleRun, run_id)
            if run is None or run.status not in LIVE:
                return
            rule = version_of(session, run)
            action = rule.definition["actions"][run.cursor]
            action_id, cursor = action["id"], run.cursor
            step = step_for(session, ctx.runner, ctx.config, rule, run, ctx.attempts)
            step.action = action
            started = time.perf_counter()
        result = ACTIONS[action["type"]].run(step)  # outside any transaction: it may take seconds
        with ctx.database.write() as session:
            if not ctx.finish(session):
                return
            run = _lock(session, run_id)
            if run is None or run.status not in LIVE or run.cursor != cursor:
                return
            rule = version_of(session, run)
            _record(run, action, started, result)
            advance(session, step_for(session, ctx.runner, ctx.config, rule, run, ctx.attempts), rule, run)
    except Exception as exc:  # noqa: BLE001
        _failed(ctx, run_id, _wrap(exc, action_id))


def _failed(ctx: JobContext, run_id: int, failure: ActionFailed) -> None:
    delays = getattr(failure, "delay", None)
    max_attempts = getattr(failure, "attempts", len(RETRY_DELAYS) + 1)
    if failure.retryable and ctx.attempts < max_attempts:
        delay = delays if delays is not None else RETRY_DELAYS[min(ctx.attempts, len(RETRY_DELAYS)) - 1]
        raise RetryLater(f"{failure.action}: {failure.message}", delay, max_attempts)
    with ctx.transaction() as session:  # its own, or a savepoint in its batch's (the failed one is gone)
        ctx.finish(session)
        run = _lock(session, run_id)
        if run is None or run.status not in LIVE:
            return
        mark_failed(session, run, failure.action, failure.message, failure.given, ctx.attempts)


def mark_failed(session: Session, run: RuleRun, action: str, message: str, given: Any, attempts: int) -> None:
    run.status, run.finished_at = RuleRunStatus.FAILED, utcnow()
    run.failed_action, run.error = action, f"{message} (after {attempts} attempt{'s' if attempts != 1 else ''})"
    run.steps = [*(run.steps or []), {"action": action, "at": utcnow().isoformat() + "Z", "error": message,
                                      "input": given, "attempts": attempts}]
    publish(session, Event(EventKind.RULE_RUN_FAILED, f"rule:{run.rule_key}", subject_type=SubjectType.RULE,
                           subject_id=run.rule_key, data={"run": run.id, "action": action, "error": message}))
    logger.info("rule run %s (%s) failed at %s: %s", run.id, run.rule_key, action, message)
