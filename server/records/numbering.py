"""Auto-numbers: ``WO-{yyyy}-{0000}`` → ``WO-2026-0001``, unique and gap-free per type, field and period.

The counter row (record_counter) is incremented by an UPDATE in the creating transaction: the row lock
makes concurrent creates take turns, and a create that fails afterwards (a unique value taken, a formula
failing) rolls its increment back with it — no number is lost, none given twice. The row is made once with
an INSERT that ignores a concurrent twin (ON CONFLICT DO NOTHING), never a check-then-insert.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import RecordCounter
from server.records.kinds_extra import AUTO_PART


def _period(pattern: str, at: datetime) -> str:
    parts = {"yyyy": f"{at.year:04d}", "yy": f"{at.year % 100:02d}", "mm": f"{at.month:02d}", "dd": f"{at.day:02d}"}
    return "-".join(parts[p] for p in AUTO_PART.findall(pattern) if p in parts)


def _text(pattern: str, at: datetime, number: int) -> str:
    parts = {"yyyy": f"{at.year:04d}", "yy": f"{at.year % 100:02d}", "mm": f"{at.month:02d}", "dd": f"{at.day:02d}"}
    return AUTO_PART.sub(lambda m: parts.get(m.group(1)) or f"{number:0{len(m.group(1))}d}", pattern)


def next_numbers(session: Session, type_key: str, field: Mapping[str, Any], at: datetime, count: int) -> list[str]:
    """``count`` consecutive numbers in one increment of the counter (a batch of creates): the same row
    lock as one create, so concurrent writers still take turns and a rolled-back batch gives them all back."""
    last = take(session, type_key, field, at, count)
    return [_text(field["pattern"], at, number) for number in range(last - count + 1, last + 1)]


def number_text(field: Mapping[str, Any], at: datetime, number: int) -> str:
    """The text of the ``number``-th number of ``field``'s period at ``at``."""
    return _text(field["pattern"], at, number)


def take(session: Session, type_key: str, field: Mapping[str, Any], at: datetime, count: int) -> int:
    """Move the counter of ``field``'s period at ``at`` on by ``count`` (0: only lock it until commit);
    the last number taken (with 0, the last one given so far)."""
    period = _period(field["pattern"], at)
    key = {"type_key": type_key, "field": field["key"], "period": period}
    dialect = session.get_bind().dialect.name
    make = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RecordCounter)
    session.execute(make.values(**key, value=0).on_conflict_do_nothing())
    last: Any = session.execute(
        update(RecordCounter).where(RecordCounter.type_key == type_key, RecordCounter.field == field["key"],
                                    RecordCounter.period == period)
        .values(value=RecordCounter.value + count).returning(RecordCounter.value)).scalar_one()
    return int(last)


def next_number(session: Session, type_key: str, field: Mapping[str, Any], at: datetime) -> str:
    return next_numbers(session, type_key, field, at, 1)[0]


def sample_number(field: Mapping[str, Any], at: datetime) -> str:
    """What a number of ``field`` looks like (the first of its period): for checking formulas that read it
    before the real number is taken."""
    return _text(field["pattern"], at, 1)
