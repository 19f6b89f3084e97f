"""PostgreSQL pooled connections: checked only after sitting idle, and a dead one is replaced, never a 500.

pool_pre_ping pinged on every checkout, a round trip per request (issue 17); server/db.py pings a
connection only when it has been idle IDLE_BEFORE_PING seconds.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from server import db as db_module
from server.db import Database
from tests.conftest import PG_ADMIN_URL, pg_database, require_postgres


@pytest.fixture
def pg_url() -> Any:
    require_postgres()
    with pg_database(f"boms_ping_{uuid.uuid4().hex[:8]}") as url:
        yield url


def _backend_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = database.engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        calls.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counting)
    return calls


def test_a_connection_in_steady_use_is_not_pinged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database = Database(pg_url)
    try:
        pings = _pings(database, monkeypatch)
        first = _backend_pid(database)
        for _ in range(5):
            assert _backend_pid(database) == first  # the same pooled connection each time
        assert pings == []
        monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # now every checkout has been idle "long"
        assert _backend_pid(database) == first
        assert pings == [1]
    finally:
        database.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database = Database(pg_url)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        dead = _backend_pid(database)
        with admin.connect() as conn:  # as a server restart or a firewall would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
        monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)
        alive = _backend_pid(database)  # no error: the ping found it dead and the pool opened another
        assert alive != dead
    finally:
        admin.dispose()
        database.dispose()
