"""Database engine, sessions and the declarative base.

Write transactions are serialized per instance: PostgreSQL locks the instance row
(`SELECT ... FOR UPDATE`), SQLite takes its single writer lock up front (`BEGIN IMMEDIATE`)
so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, MetaData, Table, create_engine, event, exc, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from server.private_files import private_sqlite

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


def utcnow() -> datetime:
    """Naive UTC: the same value round-trips through SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so writers can ask for BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("boms_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


# A pooled connection unused this long is checked before use (the server may have restarted, a firewall
# dropped it). Pinging every checkout, as pool_pre_ping does, cost a round trip per request: ~0.3 ms
# of a PostgreSQL request's few (a busy pool hands connections back and forth within milliseconds).
IDLE_BEFORE_PING = 5.0
_IDLE_SINCE = "boms_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()  # just opened: known good

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # any failure: the pool drops it and hands out another (up to 3 tries)
            raise exc.DisconnectionError("the pooled connection failed its ping") from err
        if not alive:
            raise exc.DisconnectionError("the pooled connection failed its ping")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            options.update(pool_size=10, max_overflow=20)
        self.engine = create_engine(url, **options)
        if not self.is_sqlite:
            _ping_when_idle(self.engine)
        if self.is_sqlite:
            private_sqlite(url)  # SQLite would create it world-readable (umask); -wal/-shm copy its mode
            _configure_sqlite(self.engine)
        # Handed to every session (Session.info): e.g. the app's audit publisher (server/audit.py).
        self.session_info: dict[str, Any] = {}
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception."""
        with self._sessions() as session:
            session.connection(execution_options={"boms_write": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


DATABASE_EXTENSION = "boms_db"  # the app.extensions key the factory stores the Database under


def current_database(app: Flask | None = None) -> Database:
    """The app's Database: the current app's inside a request or app context, else `app`'s."""
    return (app or current_app).extensions[DATABASE_EXTENSION]


@lru_cache(maxsize=128)
def _compiled(table: Table, columns: tuple[str, ...], dialect: Dialect
              ) -> tuple[str, bool, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """(SQL text, whether the paramstyle is positional, each parameter's name and bind processor in order)."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else columns
    processors = tuple((name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names)
    return str(compiled), bool(compiled.positional), processors


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys, each a column of ``table``) in one executemany of the driver,
    the parameters built here as plain tuples (dicts for a named paramstyle) with each column's bind processor
    found once: the values reach the database as SQLAlchemy's own executemany sends them (the same
    processors), without its per-row parameter bookkeeping (~10 µs a row and statement; the batch write of
    records and the audit append are its callers)."""
    if not rows:
        return
    connection = session.connection()
    sql, positional, processors = _compiled(table, tuple(rows[0]), connection.dialect)
    # Every value goes through its processor, None too (a JSON column writes null as SQLAlchemy does).
    if positional:
        params: list[Any] = [tuple([row[name] if process is None else process(row[name])
                                    for name, process in processors]) for row in rows]
    else:
        params = [{name: row[name] if process is None else process(row[name]) for name, process in processors}
                  for row in rows]
    connection.exec_driver_sql(sql, params)
