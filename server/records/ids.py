"""Record ids are never given twice: a deleted record's history must not show on a new record.

The history of record ``contract:12`` is the audit events of subject ``contract:12``, so an id, once used,
must never come back. PostgreSQL's sequences never go back. SQLite's rowid tables pick "the highest id
plus one", which gives a deleted newest record's id again, so record tables are created with
AUTOINCREMENT (``sqlite_autoincrement``), whose ``sqlite_sequence`` row remembers the highest id ever
used — also one inserted explicitly by the batch path, which SQLite records there itself.

Two cases the table itself cannot answer:

- a table made before AUTOINCREMENT (BOMS before this change). Rebuilding every record table on upgrade
  would have to recreate its indexes, foreign keys both ways and dashboards' covering indexes, so such a
  table is left as it is and its ids are allocated here instead: the highest id plus one, stepped past
  every id the audit history already names. On SQLite the used ids are always 1..highest-ever (each
  create takes the highest plus one, under the database's single write lock; a rolled-back insert leaves
  no event), so the ids beyond the table's highest that have events are a contiguous run, found by an
  exponential then binary search of index lookups — a few lookups, not a scan.
- a type deleted (its table dropped with its sequence) and created again with the same key: the new
  table starts after the highest id of the old records' history, on both databases.
"""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from server.events import SubjectType
from server.models import AuditEvent

_SCANNED = 50  # longest subject ids read when a table is created over an older type's history


def _has_history(session: Session, type_key: str, record_id: int) -> bool:
    return session.execute(select(AuditEvent.seq).where(
        AuditEvent.subject_type == SubjectType.RECORD, AuditEvent.subject_id == f"{type_key}:{record_id}"
    ).limit(1)).first() is not None


def highest_in_history(session: Session, type_key: str) -> int:
    """The highest record id the audit history names for the type (0: none). Read once, when the type's
    table is created: a range scan of the subject index over the type's events."""
    prefix = f"{type_key}:"
    column = AuditEvent.subject_id
    found = session.execute(select(column).where(
        AuditEvent.subject_type == SubjectType.RECORD, column >= prefix, column < f"{type_key};",
        ~column.like("%:%:%"))  # not a view's subject (contract:view:3)
        .group_by(column).order_by(func.length(column).desc(), column.desc()).limit(_SCANNED)).scalars()
    numbers = [int(rest) for s in found if (rest := s[len(prefix):]).isascii() and rest.isdigit()]
    return max(numbers, default=0)


_AUTOINCREMENT: set[tuple[str, str]] = set()  # (database, table) known to have it: a table never loses it


def _is_autoincrement(session: Session, table: Table) -> bool:
    known = (str(session.get_bind().url), table.name)
    if known in _AUTOINCREMENT:
        return True
    sql = session.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                          {"name": table.name}).scalar()
    found = bool(sql) and "AUTOINCREMENT" in str(sql).upper()
    if found:
        _AUTOINCREMENT.add(known)
    return found


def _past_history(session: Session, type_key: str, top: int) -> int:
    """The highest id used so far on a SQLite table without AUTOINCREMENT: ``top`` (its highest row) or
    the end of the run of ids beyond it that the audit history names (deleted newest records)."""
    if not _has_history(session, type_key, top + 1):
        return top
    low, step = top + 1, 1  # low: known used
    while _has_history(session, type_key, low + step):
        low, step = low + step, step * 2
    high = low + step  # known unused
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _has_history(session, type_key, middle) else (low, middle)
    return low


def _sqlite_highest(session: Session, table: Table, type_key: str) -> int:
    top = int(session.execute(select(func.max(table.c.id))).scalar() or 0)
    if _is_autoincrement(session, table):
        seq = session.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :name"),
                              {"name": table.name}).scalar()
        return max(top, int(seq or 0))
    return _past_history(session, type_key, top)


def next_ids(session: Session, table: Table, type_key: str, count: int) -> list[int]:
    """``count`` new ids for a batch insert: on PostgreSQL from the table's sequence in one round trip; on
    SQLite, whose write transaction holds the database's only write lock, after the highest ever used."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(session.execute(select(func.nextval(sequence)).select_from(
            func.generate_series(1, count))).scalars())
    top = _sqlite_highest(session, table, type_key)
    return list(range(top + 1, top + 1 + count))


def explicit_id(session: Session, table: Table, type_key: str) -> int | None:
    """The id one create must give itself, or None when the database picks a never-used one itself
    (PostgreSQL, SQLite with AUTOINCREMENT)."""
    if session.get_bind().dialect.name == "postgresql" or _is_autoincrement(session, table):
        return None
    return _past_history(session, type_key, int(session.execute(select(func.max(table.c.id))).scalar() or 0)) + 1


def start_after_history(session: Session, table: Table, type_key: str) -> None:
    """A newly created table of a type whose key has history (the type was deleted and made again): its
    ids start after the old records' ids."""
    highest = highest_in_history(session, type_key)
    if not highest:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), highest)))
    else:
        session.execute(text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": table.name})
        session.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                        {"name": table.name, "seq": highest})
