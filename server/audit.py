"""The one event publisher: append to the keyed hash chains, then hand the events to subscribers.

Every writer (the workflow runner, deployments, identity, task and people changes, and the coming
records and rules) calls `publish(session, events)` inside its own write transaction. The events are
chained and the subscribers run in that same transaction, so a subscriber that fails rolls the whole
write back: what subscribers write (notifications, a rule engine's trigger rows) is a transactional
outbox, never lost or doubled by a crash.

The log is several chains (one `audit_head` row each). A transaction takes the first head nobody else
holds (`FOR UPDATE SKIP LOCKED`) and keeps it until it commits, so concurrent writers append in
parallel, while a lone writer (and SQLite, which has one writer) always extends chain 1. Each row
records its chain and its place in it (`chain_seq`); `seq` orders all events globally (a PostgreSQL
sequence; under SQLite's single writer, chain 1's own count). See README "Audit chain".

Hash formulas are versioned so rows written before a change still verify:
  1: SHA-256 over (prev, seq, at, actor, kind, instance, task, element, data)    (before 0006)
  2: HMAC-SHA256 keyed with BOMS_AUDIT_KEY over ("v2", prev, chain, chain_seq, seq, at, actor, kind,
     subject_type, subject_id, instance, task, element, data)
  3: the same over "v3", stored compactly: the previous hash and a default subject are implied by the
     row's place and ids, not repeated (server/audit_compact.py)
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # json.dumps uses it (ensure_ascii off)
from typing import Any

from flask import Flask
from sqlalchemy import (
    Insert,
    Integer,
    Select,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from server.audit_compact import COMPACT_VERSION, full_values, stored
from server.db import Database, utcnow
from server.events import EventKind, SubjectType
from server.models import AuditEvent, AuditHead

GENESIS = "0" * 64
CURRENT_VERSION = COMPACT_VERSION
_PUBLISHER = "boms_audit_publisher"
_HELD = "boms_audit_head"


# One encoder, not one per call (json.dumps builds a new one whenever it is given options).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(data: Any) -> str:
    return _CANONICAL.encode(data)


@dataclass
class Event:
    """What a writer publishes. The subject defaults to the task, else the instance, it names."""

    kind: str
    actor: str
    subject_type: str | None = None
    subject_id: str | None = None
    instance_id: str | None = None
    task_id: str | None = None
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None  # set by publish

    def __post_init__(self) -> None:
        if self.subject_type is None:
            if self.task_id is not None:
                self.subject_type, self.subject_id = SubjectType.TASK, self.task_id
            elif self.instance_id is not None:
                self.subject_type, self.subject_id = SubjectType.INSTANCE, self.instance_id
        if self.subject_id is not None:
            self.subject_id = str(self.subject_id)


def hash_v1(row: AuditEvent) -> str:
    body = canonical_json([row.prev_hash, row.seq, row.at.isoformat(), row.actor, row.kind, row.instance_id,
                           row.task_id, row.element_id, row.data])
    return hashlib.sha256(body.encode()).hexdigest()


HASHED = ("prev_hash", "chain", "chain_seq", "seq", "at", "actor", "kind", "subject_type", "subject_id",
          "instance_id", "task_id", "element_id", "data")


def hash_v2(key: bytes, fields: dict[str, Any], tag: str = "v2") -> str:
    body = canonical_json([tag, *(fields[name].isoformat() if name == "at" else fields[name] for name in HASHED)])
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _item(value: Any) -> str:
    """``value`` as ``canonical_json`` writes it inside a list: the common kinds directly, the rest through it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    return canonical_json(value)


class _Signer:
    """The v3 HMAC of freshly published rows, byte for byte what ``hash_v2(key, fields, "v3")`` computes (a test
    compares them): the list is written item by item, so the event's data, already canonical JSON text, is
    escaped once instead of walked again by the encoder, and the keyed HMAC state is made once and copied."""

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, fields: dict[str, Any]) -> str:
        body = '["v3",' + ",".join([_item(fields[name].isoformat() if name == "at" else fields[name])
                                     for name in HASHED]) + "]"
        mac = self._keyed.copy()
        mac.update(body.encode())
        return mac.hexdigest()


def row_hash(row: AuditEvent, key: bytes, prev_hash: str | None = None) -> str:
    """The hash `row` must carry, by the formula it was written with (`prev_hash`: the hash of the row
    before it, for a compact v3 row read while walking its chain)."""
    if row.hash_version == 1:
        return hash_v1(row)
    if row.hash_version == 2:
        return hash_v2(key, {name: getattr(row, name) for name in HASHED})
    if row.hash_version == COMPACT_VERSION:
        return hash_v2(key, full_values(row, HASHED, prev_hash), tag="v3")
    raise ValueError(f"unknown audit hash version {row.hash_version}")


Subscriber = Callable[[Session, list[Event]], None]


class Publisher:
    """One per app (tests create many apps in one process): the chain key and the subscribers."""

    def __init__(self, key: str | bytes) -> None:
        self.key = key.encode() if isinstance(key, str) else key
        if not self.key:
            raise ValueError("the audit chain needs a key (BOMS_AUDIT_KEY, or the generated instance/audit_key)")
        self.sign = _Signer(self.key)
        self.subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        self.subscribers.append(subscriber)
        return subscriber

    def attach(self, database: Database) -> Database:
        """Every session of `database` publishes through this publisher."""
        database.session_info[_PUBLISHER] = self
        return database


def init_app(app: Flask, database: Database, key: str) -> Publisher:
    publisher = Publisher(key)
    publisher.attach(database)
    app.extensions["boms_audit"] = publisher
    return publisher


def subscribe(app: Flask, subscriber: Subscriber) -> Subscriber:
    """Register `subscriber` for every event `app` publishes, called inside the publishing transaction."""
    return app.extensions["boms_audit"].subscribe(subscriber)


def publisher_of(session: Session) -> Publisher:
    publisher = session.info.get(_PUBLISHER)
    if publisher is None:
        raise RuntimeError("this session has no audit publisher: open it from the app's database "
                           "(create_app) or attach one with server.audit.Publisher(key).attach(database)")
    return publisher


Rows = tuple[Table, list[dict[str, Any]]]


def publish(session: Session, events: Event | Iterable[Event], also: Iterable[Rows] = ()) -> list[Event]:
    """Chain `events` onto the log and hand them to the subscribers, inside the caller's transaction.

    Call it last in a transaction where you can: the chain head stays locked until commit.
    A subscriber's exception propagates, so the caller's transaction (events included) rolls back.
    `also`: other append-only rows of the transaction, (table, rows with the same keys each); on PostgreSQL
    they go in the append's own statement (a round trip less per step: the element passages).
    Returns the events, each with its global `seq` set.
    """
    batch = [events] if isinstance(events, Event) else list(events)
    extra = [(table, rows) for table, rows in also if rows]
    if not batch:
        for table, rows in extra:
            session.connection().execute(_insert(table), rows)
        return []
    publisher = publisher_of(session)
    head, seqs = _head(session, len(batch))
    rows = []
    # Core statements, not the unit of work: appends are the hottest write path (bench/audit_append.py).
    for event, seq in zip(batch, seqs, strict=True):
        fields = {"prev_hash": head.hash, "chain": head.id, "chain_seq": head.seq + 1, "seq": seq, "at": utcnow(),
                  "actor": event.actor, "kind": str(event.kind), "subject_type": event.subject_type,
                  "subject_id": event.subject_id, "instance_id": event.instance_id, "task_id": event.task_id,
                  "element_id": event.element_id, "data": canonical_json(event.data)}
        fields["hash"] = publisher.sign(fields)
        fields["hash_version"] = CURRENT_VERSION
        rows.append(stored(fields))
        head.seq, head.hash, head.last_seq = fields["chain_seq"], fields["hash"], seq
        event.seq = seq
    if _is_postgresql(session) and len(rows) + sum(len(r) for _, r in extra) <= PG_ONE_STATEMENT:
        # One round trip: the head moves, and the other rows go in, in data-modifying CTEs of the insert.
        params = {"head_id": head.id, "head_seq": head.seq, "head_hash": head.hash, "head_last": head.last_seq}
        for i, fields in enumerate(rows):
            params.update({f"{name}_{i}": value for name, value in fields.items()})
        shapes = []
        for j, (table, table_rows) in enumerate(extra):
            columns = tuple(table_rows[0])
            shapes.append((table.name, columns, len(table_rows)))
            for i, values in enumerate(table_rows):
                params.update({f"x{j}_{name}_{i}": values[name] for name in columns})
        session.execute(_pg_append(len(rows), tuple(shapes)), params)
    else:
        # Core on the connection, statements built once: one executemany each (psycopg pipelines them).
        connection = session.connection()
        for table, table_rows in extra:
            connection.execute(_insert(table), table_rows)
        connection.execute(_insert(AuditEvent.__table__), rows)
        connection.execute(_MOVE_HEAD, {"head_id": head.id, "head_seq": head.seq, "head_hash": head.hash,
                                        "head_last": head.last_seq})
    for subscriber in publisher.subscribers:
        subscriber(session, batch)
    return batch


def seal_legacy(session: Session, actor: str = "system") -> bool:
    """Follow rows of the unkeyed formula (written before 0006) with a keyed one.

    From then on, verification refuses an unkeyed row anywhere but in that sealed prefix, so nobody
    without the key can rewrite the log in the old formula. True when it wrote the seal.
    """
    last = session.scalars(select(AuditEvent).where(AuditEvent.chain == 1)
                           .order_by(AuditEvent.chain_seq.desc()).limit(1)).first()
    if last is None or last.hash_version != 1:
        return False
    _head(session, 0, chain=1)  # the seal must extend chain 1 itself
    publish(session, Event(kind=EventKind.AUDIT_SEALED, actor=actor, subject_type=SubjectType.AUDIT, subject_id="1",
                           data={"legacyRows": last.chain_seq}))
    return True


@dataclass
class _Head:
    id: int
    seq: int
    hash: str
    last_seq: int


# Core columns, not the mapped attributes: comparing and selecting those goes through the ORM's annotations on
# every append (a fifth of a record create's CPU, profiled).
_HEAD = AuditHead.__table__
_HEAD_COLUMNS = (_HEAD.c.id, _HEAD.c.seq, _HEAD.c.hash, _HEAD.c.last_seq)


_COLUMNS = (*HASHED, "hash", "hash_version")


# Above this many events the one-statement append costs more than a round trip: psycopg parses a statement
# of more than 50 parameters again on every call (~0.2 s for 1,000 events); an executemany is pipelined.
PG_ONE_STATEMENT = 20


_MOVE_HEAD = (update(AuditHead.__table__).where(AuditHead.__table__.c.id == bindparam("head_id"))
              .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"), last_seq=bindparam("head_last")))


@functools.cache
def _insert(table: Table) -> Insert:
    return insert(table)


@functools.cache
def _pg_append(count: int, extra: tuple[tuple[str, tuple[str, ...], int], ...] = ()) -> TextClause:
    """The statement appending `count` rows (and `extra`: (table, columns, rows) inserted beside them): text,
    so it is compiled once per shape. The names are the models' own, never input."""
    values = ", ".join("(" + ", ".join(f":{name}_{i}" for name in _COLUMNS) + ")" for i in range(count))
    others = "".join(
        f", x{j} AS (INSERT INTO {table} ({', '.join(columns)}) VALUES "
        + ", ".join("(" + ", ".join(f":x{j}_{name}_{i}" for name in columns) + ")" for i in range(n)) + ")"
        for j, (table, columns, n) in enumerate(extra))
    return text("WITH moved AS (UPDATE audit_head SET seq = :head_seq, hash = :head_hash, last_seq = :head_last "
                f"WHERE id = :head_id){others} INSERT INTO audit_event ({', '.join(_COLUMNS)}) VALUES {values}")


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@functools.cache
def _first_free_head(pg: bool) -> Select[Any]:
    """The first chain head nobody holds, locked, and `:count` seqs: built once (its construction and cache
    key cost more than running it on SQLite), run on the connection (no ORM steps for four columns)."""
    table = AuditHead.__table__
    seqs = (func.array(select(func.nextval("audit_event_seq"))
                       .select_from(func.generate_series(1, bindparam("count", type_=Integer))).scalar_subquery())
            if pg else literal(None)).label("seqs")
    return (select(table.c.id, table.c.seq, table.c.hash, table.c.last_seq, seqs).order_by(table.c.id).limit(1)
            .with_for_update(skip_locked=True))


def _head(session: Session, count: int, chain: int | None = None) -> tuple[_Head, list[int]]:
    """The chain head this transaction holds (else the first free one, locked until commit), and `count`
    global seqs (on PostgreSQL from a sequence, fetched in the same round trip as the head)."""
    pg = _is_postgresql(session)

    def seqs() -> Any:
        return (func.array(select(func.nextval("audit_event_seq")).select_from(func.generate_series(1, count))
                           .scalar_subquery()) if pg else literal(None)).label("seqs")

    transaction = session.get_transaction()
    innermost = session.get_nested_transaction() or transaction
    held = session.info.get(_HELD)
    if held is not None and held[0] is transaction:
        head = held[2]
        if held[1] is innermost:
            allocated = session.execute(select(seqs())).scalar_one() if pg else None
        else:
            # A savepoint began or ended since (jobs run in savepoints): what it rolled back is gone from
            # the head row, so read it again, locked: PostgreSQL releases a lock taken inside a savepoint
            # that is rolled back, and another writer may have taken the chain meanwhile.
            row = session.execute(select(*_HEAD_COLUMNS, seqs()).where(AuditHead.id == head.id)
                                  .with_for_update()).one()
            head, allocated = _Head(*row[:4]), row[4]
    else:
        if chain is None:  # the hot path: every write transaction's first publish
            row = session.connection().execute(_first_free_head(pg), {"count": count}).first()
        else:
            row = session.execute(select(*_HEAD_COLUMNS, seqs()).where(AuditHead.id == chain)
                                  .with_for_update()).first()
        if row is None:
            # Every chain is busy: wait for one at random, so waiters spread instead of queueing on chain 1.
            ids = session.scalars(select(AuditHead.id)).all()
            if not ids:
                raise RuntimeError("the audit log has no chain head: run `boms db upgrade`")
            row = session.execute(select(*_HEAD_COLUMNS, seqs()).where(AuditHead.id == random.choice(ids))
                                  .with_for_update()).one()
        head, allocated = _Head(*row[:4]), row[4]
    session.info[_HELD] = (transaction, innermost, head)
    if pg:
        return head, sorted(allocated or [])
    # SQLite has a single writer (BEGIN IMMEDIATE), and the first head is never skipped: one chain.
    return head, [head.last_seq + i for i in range(1, count + 1)]
