"""The enabled rules by subject (`record:<type>`, `process:<key>`), kept per process between transactions.

Every record write and workflow step asks "which rules are about this?"; most get "none". The answer
is loaded once (all enabled rules in one SELECT) and kept, so a step with no rules pays no query.
A rule saved, enabled, disabled or deleted in this process drops the cache when its transaction
commits, and the transaction that saved it reads the rule table directly until then (it must see its
own change). Another process drops its copy after `rule_cache_seconds` (BOMS_RULE_CACHE_SECONDS,
default 2): a rule saved on one node applies to changes committed on the others from at most that
long after its save. 0 turns the cache off (one look-up per transaction, as before).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.models import RecordType, Rule

_DIRTY = "boms_rules_changed"
_TRANSACTION = "boms_rules_by_subject"
_TYPES = "boms_rule_record_types"


@dataclass(frozen=True)
class CachedRule:
    """What matching and offering read of a rule version (an ORM row would be bound to its session)."""

    key: str
    version: int
    definition: dict[str, Any]


RuleVersion = Rule | CachedRule  # what offering a rule reads: key, version, definition


@dataclass
class _Entry:
    loaded_at: float
    by_subject: dict[str, list[CachedRule]]


_entries: weakref.WeakKeyDictionary[Any, _Entry] = weakref.WeakKeyDictionary()
_generations: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _engine(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _query(session: Session, subject: str | None = None) -> dict[str, list[CachedRule]]:
    query = select(Rule.trigger_subject, Rule.key, Rule.version, Rule.definition).where(
        Rule.is_latest.is_(True), Rule.enabled.is_(True), Rule.deleted.is_(False),
        Rule.trigger_subject.is_not(None)).order_by(Rule.key)
    if subject is not None:
        query = query.where(Rule.trigger_subject == subject)
    found: dict[str, list[CachedRule]] = {}
    for row_subject, key, version, definition in session.execute(query):
        found.setdefault(row_subject, []).append(CachedRule(key, version, definition))
    return found


def rules_about(session: Session, subject: str, seconds: float) -> list[CachedRule]:
    """The enabled latest rules about `subject`, in key order."""
    if session.info.get(_DIRTY) or seconds <= 0:
        per_transaction = session.info.get(_TRANSACTION)
        transaction = session.get_transaction()
        if per_transaction is None or per_transaction[0] is not transaction:
            per_transaction = session.info[_TRANSACTION] = (transaction, {})
        if subject not in per_transaction[1]:
            per_transaction[1][subject] = _query(session, subject).get(subject, [])
        return per_transaction[1][subject]
    engine = _engine(session)
    entry = _entries.get(engine)
    if entry is None or time.monotonic() - entry.loaded_at > seconds:
        with _lock:
            generation = _generations.get(engine, 0)
        entry = _Entry(time.monotonic(), _query(session))
        with _lock:
            if _generations.get(engine, 0) == generation:  # no rule change committed while loading
                _entries[engine] = entry
    return entry.by_subject.get(subject, [])


def _drop(engine: Any) -> None:
    with _lock:
        _generations[engine] = _generations.get(engine, 0) + 1
        _entries.pop(engine, None)


def rules_changed(session: Session) -> None:
    """A rule changed in this transaction: it reads rules directly, and the cache goes when it commits."""
    session.info.pop(_TRANSACTION, None)
    engine = _engine(session)
    _drop(engine)
    if session.info.get(_DIRTY):
        return
    session.info[_DIRTY] = True

    def ended(_session: Session, *_: Any) -> None:
        _session.info.pop(_DIRTY, None)
        _session.info.pop(_TRANSACTION, None)
        _drop(engine)

    event.listen(session, "after_commit", ended, once=True)
    event.listen(session, "after_soft_rollback", ended, once=True)


_versions: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], CachedRule]] = weakref.WeakKeyDictionary()
MAX_VERSIONS = 4096


def rule_version(session: Session, key: str, version: int) -> CachedRule | None:
    """A rule version's definition (a version never changes once saved, so it is kept for good)."""
    engine = _engine(session)
    with _lock:
        found = _versions.setdefault(engine, {}).get((key, version))
    if found is not None:
        return found
    definition = session.scalar(select(Rule.definition).where(Rule.key == key, Rule.version == version))
    if definition is None:
        return None
    found = CachedRule(key, version, definition)
    with _lock:
        versions = _versions.setdefault(engine, {})
        if len(versions) >= MAX_VERSIONS:
            versions.clear()
        versions[(key, version)] = found
    return found


def record_type_of(session: Session, key: str) -> Any:
    """The latest record type `key`, from this session's identity map when the change already loaded it."""
    from server.records.types import latest

    # The highest version: a version saved in this transaction is here too, next to the one it replaced.
    loaded = [obj for obj in list(session.identity_map.values())
              if isinstance(obj, RecordType) and obj.key == key and obj.is_latest]
    if loaded:
        return max(loaded, key=lambda obj: obj.version)
    found = latest(session, key)
    # The identity map holds objects weakly: keep this one for the transaction (a batch of runs shares it).
    transaction = session.get_transaction()
    held = session.info.get(_TYPES)
    if held is None or held[0] is not transaction:
        held = session.info[_TYPES] = (transaction, [])
    if found is not None:
        held[1].append(found)
    return found
