"""The schedule sweep (server/rules/schedule.py explains the table): due rows become runs.

Each due row is turned into a run and moved (cron: its next time after now; date: removed until the
record's field changes again) in one transaction, so a crash repeats nothing and a second poller
skips rows the first holds (FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.config import Config
from server.db import Database, utcnow
from server.models import Rule, RuleRun, RuleSchedule
from server.records.storage import table_of
from server.records.types import latest as latest_type
from server.rules import overdue, schedule
from server.rules.runs import Offer, offer, offer_many
from server.rules.triggers import record_json

ROUNDS = 50  # batches per sweep: 100,000 firings a minute at most, then the next sweep goes on


def _rules(session: Session, keys: set[str]) -> dict[str, Rule]:
    rows = session.scalars(select(Rule).where(Rule.key.in_(keys), Rule.is_latest.is_(True)))
    return {r.key: r for r in rows}


def _fire(session: Session, config: Config, rule: Rule | None, row: RuleSchedule, cache: dict[str, Any]) -> int:
    """Offer what the row says is due; returns how many firings it made (a watermark row: 0 or more)."""
    if rule is None or not rule.enabled or rule.deleted:
        session.execute(delete(RuleSchedule).where(RuleSchedule.id == row.id))
        return 0
    trigger = rule.definition["trigger"]
    if trigger["type"] == "process":
        return overdue.fire(session, config, rule, row)
    _fire_due(session, config, rule, row, cache)
    return 1


def _fire_due(session: Session, config: Config, rule: Rule, row: RuleSchedule, cache: dict[str, Any]) -> None:
    trigger = rule.definition["trigger"]
    due = row.due_at.isoformat() + "Z"
    if trigger["type"] == "schedule":
        offer(session, config, rule, f"cron:{due}", "schedule", {"payload": {"due": due}}, f"rule:{rule.key}",
              checked_new=(rule.key, f"cron:{due}") not in cache["runs"])
        row.fired += 1
        upcoming = schedule.next_cron(trigger, max(utcnow(), row.due_at))
        if upcoming is None or ("count" in trigger and row.fired >= trigger["count"]):
            session.delete(row)
        else:
            row.due_at = upcoming
        return
    type_key = trigger["recordType"]
    if type_key not in cache:
        type_row = latest_type(session, type_key)
        cache[type_key] = type_row.definition if type_row else None
    definition = cache[type_key]
    session.delete(row)
    if definition is None:
        return
    record = cache["records"].get((type_key, row.record_id))
    if record is None:
        return
    values = record_json(definition, record)
    key = f"date:{row.record_id}:{due}"
    if (rule.key, key) in cache["runs"]:  # fired before (its date came back to this moment)
        return
    cache["offers"].setdefault(rule.key, (rule, []))[1].append(Offer(
        key, "date", {"record": values, "old": None, "new": values, "changed": [], "payload": {"due": due}},
        f"rule:{rule.key}", definition))


def _records(session: Session, rows: list[RuleSchedule], rules: dict[str, Rule],
             cache: dict[str, Any]) -> dict[tuple[str, int], Any]:
    """The records of a batch's date rows, read in one query per record type (chunks of 500 ids)."""
    wanted: dict[str, list[int]] = {}
    for row in rows:
        rule = rules.get(row.rule_key)
        if row.record_id and rule is not None and rule.definition["trigger"]["type"] == "date":
            wanted.setdefault(rule.definition["trigger"]["recordType"], []).append(row.record_id)
    found: dict[tuple[str, int], Any] = {}
    for type_key, ids in wanted.items():
        type_row = latest_type(session, type_key)
        cache[type_key] = type_row.definition if type_row else None
        if type_row is None:
            continue
        table = table_of(type_row.definition)
        for start in range(0, len(ids), 500):
            for record in session.execute(select(table).where(table.c.id.in_(ids[start:start + 500]))):
                found[(type_key, record.id)] = record
    return found


def _existing_runs(session: Session, rows: list[RuleSchedule]) -> set[tuple[str, str]]:
    """(rule, event key) of the batch's firings that already have a run (a record whose date came back to a
    moment that fired before): one query per 500 rows instead of one per firing."""
    keys = {f"{'date:' + str(r.record_id) if r.record_id else 'cron'}:{r.due_at.isoformat()}Z" for r in rows}
    found: set[tuple[str, str]] = set()
    rule_keys = sorted({r.rule_key for r in rows})  # the (rule_key, event_key) unique index serves it
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        found.update((rule, key) for rule, key in session.execute(select(RuleRun.rule_key, RuleRun.event_key).where(
            RuleRun.rule_key.in_(rule_keys), RuleRun.event_key.in_(ordered[start:start + 500]))))
    return found


def sweep_schedules(database: Database, config: Config) -> int:
    fired = 0
    for _ in range(ROUNDS):
        with database.write() as session:
            rows = schedule.due_rows(session, utcnow(), skip_locked=not database.is_sqlite)
            if not rows:
                break
            rules = _rules(session, {r.rule_key for r in rows})
            cache: dict[str, Any] = {}
            cache["records"] = _records(session, rows, rules, cache)
            cache["runs"] = _existing_runs(session, rows)
            cache["offers"] = {}
            for row in rows:
                fired += _fire(session, config, rules.get(row.rule_key), row, cache)
            for rule, offers in cache["offers"].values():  # a rule's due date firings: their runs written at once
                offer_many(session, config, rule, offers)
        if len(rows) < schedule.SWEEP_BATCH:
            break
    return fired
