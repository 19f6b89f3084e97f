"""Whether a cached chart's rows still hold: the audit events committed since they were computed, read
between two sets of chain heads, and whether any of them may have written a table the chart reads.

Every BOMS write publishes its events in its own transaction (server/audit.py), and an event says what
it wrote: a record event names its type (`subject_id` "type:id"), a record type's events the type, a
process event its instance or task. So an entry computed at heads H is still right at heads H' when no
event in (H, H'] may have written a table its SQL reads. Each chain grows in commit order (its head row
is held until the writer commits; cache.py), so the events in (H[c], H'[c]] of every chain c are exactly
the writes the entry may miss, and they are all visible once H' is (read first, before them).

The classification errs on the side of a miss: an event it does not know (or a user, group or import
event) may have written anything; a chart over the audit log is touched by every event. Only what
writes nothing a chart reads is passed over: sign-ins, API tokens, dashboard, rule and saved-view
definitions (a chart's own definition is in its key), exports; and a record event touches only its own
type's table and the relation link tables, a process event only the tables that are not records'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Alias, ColumnClause, FromClause, Table, and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from server.events import EventKind, SubjectType
from server.models import AuditEvent
from server.records.storage import table_name

Heads = tuple[tuple[int, int, str], ...]
# More events than this since an entry was computed: computing afresh is cheaper than reading them.
MAX_EVENTS = 500
AUDIT_TABLE = AuditEvent.__tablename__
LINK_PREFIX = "lnk_"  # server/records/many.py: the link tables of relations to many
NOTHING = frozenset({
    "auth.login", "auth.login_failed", "auth.logout", EventKind.TOKEN_CREATED, EventKind.TOKEN_REVOKED,
    EventKind.DASHBOARD_SAVED, EventKind.DASHBOARD_DELETED, EventKind.RULE_SAVED, EventKind.RULE_ENABLED,
    EventKind.RULE_DISABLED, EventKind.RULE_DELETED, EventKind.RULE_TRIGGERED, EventKind.RULE_RUN_FAILED,
    EventKind.RULE_RUN_RETRIED, EventKind.RECORD_EXPORTED, EventKind.AUDIT_EXPORTED, EventKind.RECORD_VIEW_SAVED,
    EventKind.RECORD_VIEW_DELETED,
})
RECORD_SUBJECTS = frozenset({SubjectType.RECORD, SubjectType.RECORD_TYPE})
PROCESS_SUBJECTS = frozenset({SubjectType.INSTANCE, SubjectType.TASK, SubjectType.PROCESS, SubjectType.DEPLOYMENT})
PROCESS_KINDS = frozenset({"instance", "task", "incident", "service", "external_task", "gateway", "decision",
                           "message", "signal", "deployment"})
_BETWEEN = "boms_analytics_between"  # session.info: the events between two heads, read once per request


def tables_read(clauses: Iterable[Any]) -> frozenset[str]:
    """The names of the tables ``clauses`` (SQL expressions and FROM clauses) read, through aliases,
    joins and correlated subqueries."""
    names: set[str] = set()
    seen: set[int] = set()
    stack = list(clauses)
    while stack:
        clause = stack.pop()
        if id(clause) in seen:
            continue
        seen.add(id(clause))
        for element in visitors.iterate(clause):
            found = element.table if isinstance(element, ColumnClause) else element
            if isinstance(found, Table):
                names.add(found.name)
            elif isinstance(found, Alias):
                stack.append(found.element)
            elif isinstance(found, FromClause) and found is not element:
                stack.append(found)
    return frozenset(names)


def _touches(kind: str, subject_type: str | None, subject_id: str | None, instance_id: str | None,
             task_id: str | None, tables: frozenset[str]) -> bool:
    if AUDIT_TABLE in tables:  # every event is a new row of the audit log
        return True
    if kind in NOTHING:
        return False
    if subject_type in RECORD_SUBJECTS and subject_id:
        own = table_name(subject_id.split(":", 1)[0])
        return any(t == own or t.startswith(LINK_PREFIX) for t in tables)
    if instance_id or task_id or subject_type in PROCESS_SUBJECTS or kind.split(".", 1)[0] in PROCESS_KINDS:
        return any(not (t.startswith(table_name("")) or t.startswith(LINK_PREFIX)) for t in tables)
    return True


def _between(session: Session, then: Heads, now: Heads) -> list[tuple[Any, ...]] | None:
    """The events committed after ``then`` up to ``now`` (kind, subject type and id, instance, task), or None
    when they cannot tell: too many, a chain shorter than before or with another hash (a restored backup)."""
    memo = session.info.setdefault(_BETWEEN, {})
    if (then, now) in memo:
        return memo[(then, now)]
    memo[(then, now)] = found = _read_between(session, then, now)
    return found


def _read_between(session: Session, then: Heads, now: Heads) -> list[tuple[Any, ...]] | None:
    before = {chain: (seq, digest) for chain, seq, digest in then}
    after = {chain: (seq, digest) for chain, seq, digest in now}
    if set(before) - set(after):
        return None
    ranges: list[tuple[int, int, int, str | None, str]] = []
    for chain, (seq, digest) in after.items():
        old_seq, old_digest = before.get(chain, (0, None))
        if seq < old_seq or (seq == old_seq and digest != old_digest):
            return None
        if seq > old_seq:
            ranges.append((chain, old_seq, seq, old_digest, digest))
    if sum(seq - old for _, old, seq, _, _ in ranges) > MAX_EVENTS:
        return None
    if not ranges:
        return []
    ae = AuditEvent.__table__
    query = select(ae.c.chain, ae.c.chain_seq, ae.c.hash, ae.c.kind, ae.c.subject_type, ae.c.subject_id,
                   ae.c.instance_id, ae.c.task_id).where(or_(*[
                       and_(ae.c.chain == chain, ae.c.chain_seq >= max(old, 1), ae.c.chain_seq <= seq)
                       for chain, old, seq, _, _ in ranges]))
    rows = {(r[0], r[1]): r for r in session.execute(query)}
    events = []
    for chain, old, seq, old_digest, digest in ranges:
        if old and (rows.get((chain, old)) is None or rows[(chain, old)][2] != old_digest):
            return None  # the entry's last event is not this database's: never reuse it
        for position in range(old + 1, seq + 1):
            row = rows.get((chain, position))
            if row is None:
                return None  # a gap (a deleted row): let the figure answer from the data
            events.append(tuple(row[3:]))
        if rows[(chain, seq)][2] != digest:
            return None
    return events


def still_valid(session: Session, then: Heads, now: Heads, tables: frozenset[str]) -> bool:
    """Whether rows computed at heads ``then`` from ``tables`` are the rows at heads ``now``."""
    if then == now:
        return True
    events = _between(session, then, now)
    return events is not None and not any(_touches(*event, tables) for event in events)
