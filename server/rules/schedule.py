"""When schedule and date-relative rules fire: the `rule_schedule` table, kept and swept.

A cron rule has one row (record_id 0) holding its next time; a date rule has one row per record,
due at the record's date field plus the offset, written in the record change's own transaction
(re-scheduled when the field changes, removed when the record is deleted). The sweep (once a minute,
the job poller) reads only due rows through the due_at index, so its cost does not grow with the
record table; each due row becomes a run in the same transaction that moves or removes the row.
Firings that fell due while BOMS was down are found by the first sweep after and run once: a cron
rule that missed several times fires once and moves on to its next time after now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import BadRequest
from server.models import RuleSchedule
from server.rules.definition import UNITS

SWEEP_BATCH = 2000


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"trigger: unknown time zone '{name}'", field="trigger.timezone") from None


def _moment(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"trigger: '{field}' must be an ISO date-time, not '{text}'",
                         field=f"trigger.{field}") from None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def check_schedule(trigger: Mapping[str, Any]) -> None:
    _zone(trigger["timezone"])
    if not croniter.is_valid(trigger["cron"]):
        raise BadRequest(f"trigger: '{trigger['cron']}' is not a cron expression (minute hour day month weekday)",
                         field="trigger.cron")
    for name in ("start", "end"):
        if name in trigger:
            _moment(trigger[name], name)


def next_cron(trigger: Mapping[str, Any], after: datetime) -> datetime | None:
    """The next firing strictly after `after` (naive UTC), within start/end; None past the end."""
    zone = _zone(trigger["timezone"])
    if "start" in trigger:
        after = max(after, _moment(trigger["start"], "start") - timedelta(seconds=1))
    local = after.replace(tzinfo=UTC).astimezone(zone)
    due = croniter(trigger["cron"], local).get_next(datetime).astimezone(UTC).replace(tzinfo=None)
    if "end" in trigger and due > _moment(trigger["end"], "end"):
        return None
    return due


def date_due(trigger: Mapping[str, Any], value: Any) -> datetime | None:
    """The record's field value (JSON text or a Python date) shifted by the trigger's offset."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        return None
    return moment + timedelta(seconds=trigger["offset"] * UNITS[trigger["unit"]])


def schedule_cron(session: Session, rule_key: str, trigger: Mapping[str, Any]) -> None:
    unschedule(session, rule_key)
    due = next_cron(trigger, utcnow())
    if due is not None:
        session.execute(insert(RuleSchedule).values(rule_key=rule_key, record_id=0, due_at=due, fired=0))


def unschedule(session: Session, rule_key: str, record_id: int | None = None) -> None:
    statement = delete(RuleSchedule).where(RuleSchedule.rule_key == rule_key)
    if record_id is not None:
        statement = statement.where(RuleSchedule.record_id == record_id)
    session.execute(statement)


def schedule_record(session: Session, rule_key: str, trigger: Mapping[str, Any], record_id: int,
                    value: Any) -> None:
    """Re-schedule one record of a date rule (delete then insert: the same on SQLite and PostgreSQL)."""
    unschedule(session, rule_key, record_id)
    due = date_due(trigger, value)
    if due is not None:
        session.execute(insert(RuleSchedule).values(rule_key=rule_key, record_type=trigger["recordType"],
                                                    record_id=record_id, due_at=due, fired=0))


def backfill(session: Session, rule_key: str, trigger: Mapping[str, Any], table: Any) -> int:
    """At save: one row per existing record with a date (in batches, never the whole table in memory)."""
    unschedule(session, rule_key)
    column = table.c[trigger["field"]]
    count, last = 0, 0
    while True:
        rows = session.execute(select(table.c.id, column).where(table.c.id > last, column.is_not(None))
                               .order_by(table.c.id).limit(SWEEP_BATCH)).all()
        if not rows:
            return count
        values = [{"rule_key": rule_key, "record_type": trigger["recordType"], "record_id": rid,
                   "due_at": date_due(trigger, value), "fired": 0} for rid, value in rows]
        session.execute(insert(RuleSchedule), [v for v in values if v["due_at"] is not None])
        count += len(values)
        last = rows[-1][0]


def due_rows(session: Session, now: datetime, skip_locked: bool, limit: int = SWEEP_BATCH) -> list[RuleSchedule]:
    query = select(RuleSchedule).where(RuleSchedule.due_at <= now).order_by(RuleSchedule.due_at).limit(limit)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))
