"""Running many `rule_run` jobs of one rule at once: 500 due firings cost a few statements, not 500 updates.

The job runner offers a batch's claimed `rule_run` jobs here first (server/plugins.py JobKind.group),
inside a savepoint of the batch's transaction. Runs of the same rule version at the same action, in
the same loop chain, whose remaining actions are all batchable (`update_record` of the triggering
record, `stop_if`) are run together: their jobs finished in one statement, their records locked and
checked in one read and written through the batch write path (server/records/batch.py: one
executemany per statement shape, one audit append with an event per record, the rule as its actor),
and their run rows written in one executemany. Anything else, or a group in which anything fails
(a record gone, a value refused, an expression error), is left to the one-by-one path, where each
run keeps its own savepoint, retries and failed status: a group is all or nothing, and its jobs are
only marked done in the same savepoint as their effect, so no run is done twice or lost.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import BomsError
from server.events import RuleRunStatus
from server.models import RuleRun
from server.records import service as records
from server.records.batch import Target, check_updates, single_path_only, update_rows
from server.rules.actions import stop_if
from server.rules.cache import RuleVersion, record_type_of, rule_version
from server.rules.context import ActionFailed, Step, rule_principal, scope_of
from server.rules.runs import CHAIN_INFO
from server.services.jobs import JobContext, finish_many

BATCHABLE = frozenset({"update_record", "stop_if"})
LIVE = (RuleRunStatus.PENDING, RuleRunStatus.RUNNING, RuleRunStatus.WAITING)


class _OneByOne(Exception):
    """This group cannot run as a batch: its runs go one by one."""


def _batchable(rule: RuleVersion, cursor: int) -> bool:
    actions = rule.definition["actions"][cursor:]
    return bool(actions) and all(a["type"] in BATCHABLE and (a["type"] != "update_record" or a.get("filter") is None)
                                 for a in actions)


def _locked_runs(session: Session, ids: Sequence[int]) -> dict[int, Row[Any]]:
    table = RuleRun.__table__
    found: dict[int, Row[Any]] = {}
    for start in range(0, len(ids), 500):
        query = select(table).where(table.c.id.in_(sorted(ids)[start:start + 500])).order_by(table.c.id)
        if session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        found.update((row.id, row) for row in session.execute(query))
    return found


def run_rule_group(contexts: list[JobContext]) -> list[JobContext]:
    """The `rule_run` group handler: runs what batches, returns the jobs left for run_rule one by one."""
    session = contexts[0].shared
    assert session is not None  # the job runner sets it for a group
    runs = _locked_runs(session, [ctx.payload["run"] for ctx in contexts])
    versions: dict[tuple[str, int], RuleVersion | None] = {}
    groups: dict[tuple[Any, ...], list[tuple[JobContext, Row[Any]]]] = {}
    left: list[JobContext] = []
    for ctx in contexts:
        run = runs.get(ctx.payload["run"])
        if run is None or run.status not in LIVE or ctx.attempts > 1:
            left.append(ctx)
            continue
        if (run.rule_key, run.rule_version) not in versions:
            versions[(run.rule_key, run.rule_version)] = rule_version(session, run.rule_key, run.rule_version)
        rule = versions[(run.rule_key, run.rule_version)]
        if rule is None or not _batchable(rule, run.cursor):
            left.append(ctx)
            continue
        key = (run.rule_key, run.rule_version, run.cursor, tuple(run.chain or []), run.depth)
        groups.setdefault(key, []).append((ctx, run))
    for (rule_key, version, *_rest), members in groups.items():
        if len(members) < 2:
            left.extend(ctx for ctx, _run in members)
            continue
        try:
            with session.begin_nested():
                _run_together(session, versions[(rule_key, version)], members)  # type: ignore[arg-type]
        except (_OneByOne, ActionFailed, BomsError):
            left.extend(ctx for ctx, _run in members)
    return left


class _Member:
    """One run of a group as it goes: its step (scope), steps, results, cursor and status."""

    def __init__(self, step: Step, run: Row[Any]) -> None:
        self.step, self.run = step, run
        self.steps = list(run.steps or [])
        self.results = dict(run.results or {})
        self.cursor = run.cursor
        self.status = RuleRunStatus.DONE

    def record(self, action: dict[str, Any], ms: float, result: Any, count: int) -> None:
        self.steps.append({"action": action["id"], "type": action["type"], "at": utcnow().isoformat() + "Z",
                           "ms": ms, "result": result, "batch": count})
        self.results[action["id"]] = result
        self.cursor += 1


def _run_together(session: Session, rule: RuleVersion, members: list[tuple[JobContext, Row[Any]]]) -> None:
    finished = finish_many(session, [ctx for ctx, _run in members])
    first_ctx, first_run = members[0]
    trigger = rule.definition["trigger"]
    type_row = record_type_of(session, trigger["recordType"]) if trigger.get("recordType") else None
    definition = type_row.definition if type_row else None
    active = []
    for ctx, run in members:
        if ctx.job_id not in finished:  # another delivery of this job did it
            continue
        scope = scope_of(run.context, rule.key, definition, run.results or {})
        active.append(_Member(Step(session, ctx.runner, ctx.config, rule.key, run.id, run.context, scope, trigger,
                                   attempt=ctx.attempts), run))
    everyone = list(active)
    session.info[CHAIN_INFO] = (list(first_run.chain or []), first_run.depth)
    try:
        for action in rule.definition["actions"][first_run.cursor:]:
            if not active:
                break
            started = time.perf_counter()
            for member in active:
                member.step.action = action
                member.step.scope["results"] = dict(member.results)
            results = _update(session, rule, action, active) if action["type"] == "update_record" else [
                stop_if(m.step) for m in active]
            ms = round((time.perf_counter() - started) * 1000 / len(active), 2)
            for member, result in zip(active, results, strict=True):
                member.record(action, ms, result, len(active))
                if action["type"] == "stop_if" and result["stop"]:
                    member.status = RuleRunStatus.STOPPED
            active = [m for m in active if m.status == RuleRunStatus.DONE]
    finally:
        session.info.pop(CHAIN_INFO, None)
    if everyone:
        now = utcnow()
        session.execute(update(RuleRun), [
            {"id": m.run.id, "status": m.status, "finished_at": now, "cursor": m.cursor, "steps": m.steps,
             "results": m.results} for m in everyone])


def _update(session: Session, rule: RuleVersion, action: dict[str, Any], members: list[_Member]) -> list[Any]:
    """update_record of each run's triggering record, in one batch write."""
    type_key = action.get("recordType") or rule.definition["trigger"].get("recordType") or ""
    access = records.access(session, rule_principal(rule.key), type_key, records.Action.UPDATE)
    if single_path_only(access):
        raise _OneByOne
    items = []
    for member in members:
        record_id = (member.step.context.get("record") or {}).get("id")
        values = member.step.value("fields", {})
        if record_id is None or not isinstance(values, dict):
            raise _OneByOne
        items.append({"id": record_id, "fields": values})
    good, errors = check_updates(session, access, items)
    if errors:
        raise _OneByOne
    ids = update_rows(session, Target.of(access), good)
    return [{"updated": [ids[i]], "count": 1} for i in range(len(members))]
