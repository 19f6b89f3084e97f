"""Rules (IF-THEN automations): their versions, their runs, and their pending schedule firings.

A run row is written in the same transaction as the event that caused it (server/rules/triggers.py),
so the unique (rule_key, event_key) pair is what makes "each matching rule runs once per event" hold
even when an event is offered twice (a retried webhook, a sweep run by two pollers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Rule(Base):
    """One saved version of a rule definition; the latest carries the enabled flag."""

    __tablename__ = "rule"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    trigger_type: Mapped[str] = mapped_column(String(20))
    # What the subscriber matches on without reading the definition: a record type or a process key.
    trigger_subject: Mapped[str | None] = mapped_column(String(255), index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=True)
    # The webhook trigger's HMAC key (hex); never in a listing, shown to designers on the rule itself.
    secret: Mapped[str | None] = mapped_column(String(128))
    is_latest: Mapped[bool] = mapped_column(default=True, index=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(150))


class RuleRun(Base):
    """One execution of one rule for one event: its trigger context, steps so far and outcome."""

    __tablename__ = "rule_run"
    __table_args__ = (UniqueConstraint("rule_key", "event_key"),
                      Index("ix_rule_run_rule_created", "rule_key", "created_at"),
                      Index("ix_rule_run_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(60))
    rule_version: Mapped[int]
    event_key: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(40))  # record.updated, schedule, webhook, manual, ...
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # record, old, new, instance, task, payload
    status: Mapped[str] = mapped_column(String(20), default="pending")
    depth: Mapped[int] = mapped_column(default=1)
    chain: Mapped[list[Any]] = mapped_column(default=list)  # the rule keys that led here, oldest first
    cursor: Mapped[int] = mapped_column(default=0)  # the next action to run
    steps: Mapped[list[Any]] = mapped_column(default=list)  # one entry per action run (or skipped)
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)  # each action's result by its id
    error: Mapped[str | None] = mapped_column(Text)
    failed_action: Mapped[str | None] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(150), default="system")  # whose change triggered it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class RuleSchedule(Base):
    """A firing to come: a cron rule's next time, or a date-relative rule's time for one record."""

    __tablename__ = "rule_schedule"
    __table_args__ = (UniqueConstraint("rule_key", "record_id"), Index("ix_rule_schedule_due", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(default=0)  # 0: the rule's cron (one row per rule)
    due_at: Mapped[datetime]
    fired: Mapped[int] = mapped_column(default=0)  # how many times a cron rule fired (its run count)
