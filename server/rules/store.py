"""Rule versions: save (a new version when the definition changed), enable, disable, delete.

Saving checks the definition against the database first (server/rules/checks.py), so a rule naming
a missing field or process is refused and nothing changes. A schedule or date rule's rows in
`rule_schedule` are rebuilt in the same transaction.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.errors import NotFound
from server.events import EventKind, SubjectType
from server.models import Rule
from server.records.storage import table_of
from server.records.types import latest as latest_type
from server.rules import overdue, schedule
from server.rules.checks import check_definition
from server.rules.definition import OVERDUE, checksum, read_definition
from server.rules.triggers import forget_rules


def latest(session: Session, key: str, include_deleted: bool = False) -> Rule | None:
    if not isinstance(key, str) or len(key) > 60:
        return None
    row = session.scalar(select(Rule).where(Rule.key == key, Rule.is_latest.is_(True)))
    return None if row is None or (row.deleted and not include_deleted) else row


def require(session: Session, key: str) -> Rule:
    row = latest(session, key)
    if row is None:
        raise NotFound(f"no rule '{key}'")
    return row


def _subject(definition: dict[str, Any]) -> str | None:
    trigger = definition["trigger"]
    if trigger["type"] in ("record", "date"):
        return f"record:{trigger['recordType']}"
    if trigger["type"] == "process":
        return f"process:{trigger['process']}"
    return None


def _reschedule(session: Session, row: Rule) -> None:
    trigger = row.definition["trigger"]
    schedule.unschedule(session, row.key)
    if not row.enabled or row.deleted:
        return
    if trigger["type"] == "schedule":
        schedule.schedule_cron(session, row.key, trigger)
    elif trigger["type"] == "process" and OVERDUE in trigger["on"]:
        overdue.watch(session, row.key)
    elif trigger["type"] == "date":
        type_row = latest_type(session, trigger["recordType"])
        if type_row is not None:
            schedule.backfill(session, row.key, trigger, table_of(type_row.definition))


def save(session: Session, raw: Any, actor: str, key: str | None = None) -> tuple[Rule, bool]:
    """(the latest version, whether this call made a new one)."""
    definition = read_definition(raw, key)
    check_definition(session, definition)
    current = latest(session, definition["key"], include_deleted=True)
    digest = checksum(definition)
    if current is not None and current.checksum == digest and not current.deleted:
        return current, False
    if current is not None:
        session.execute(update(Rule).where(Rule.key == definition["key"]).values(is_latest=False))
    secret = current.secret if current is not None and current.secret else None
    if definition["trigger"]["type"] == "webhook" and secret is None:
        secret = secrets.token_hex(32)
    row = Rule(key=definition["key"], version=(current.version + 1) if current else 1, name=definition["name"][:255],
               trigger_type=definition["trigger"]["type"], trigger_subject=_subject(definition),
               definition=definition, checksum=digest, enabled=definition["enabled"], secret=secret,
               is_latest=True, deleted=False, created_by=actor)
    session.add(row)
    session.flush()
    _reschedule(session, row)
    forget_rules(session)
    publish(session, Event(EventKind.RULE_SAVED, actor, subject_type=SubjectType.RULE, subject_id=row.key,
                           data={"version": row.version, "trigger": row.trigger_type}))
    return row, True


def set_enabled(session: Session, key: str, enabled: bool, actor: str) -> Rule:
    row = require(session, key)
    if row.enabled != enabled:
        row.enabled = enabled
        session.flush()
        _reschedule(session, row)
        forget_rules(session)
        publish(session, Event(EventKind.RULE_ENABLED if enabled else EventKind.RULE_DISABLED, actor,
                               subject_type=SubjectType.RULE, subject_id=key, data={"version": row.version}))
    return row


def remove(session: Session, key: str, actor: str) -> None:
    """Kept as a deleted latest version, so its runs still name a rule that existed."""
    row = require(session, key)
    row.deleted, row.enabled = True, False
    session.flush()
    _reschedule(session, row)
    forget_rules(session)
    publish(session, Event(EventKind.RULE_DELETED, actor, subject_type=SubjectType.RULE, subject_id=key,
                           data={"version": row.version}))
