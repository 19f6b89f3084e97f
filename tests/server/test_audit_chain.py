"""The keyed audit chains (server/audit.py, server/services/audit.py): subjects in the hash, the HMAC key,
rows of the old formula, several chains, and the migration that brings an old log along."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from server.audit import GENESIS, HASHED, Event, Publisher, canonical_json, publish, seal_legacy
from server.config import Config
from server.db import Database
from server.migrate import alembic_config, upgrade
from server.models import AuditEvent, AuditHead
from server.services.audit import EDITED, verify
from tests.conftest import pg_database, require_postgres


def _write(app: Any, count: int = 4) -> None:
    for n in range(count):
        with app.extensions["boms_db"].write() as session:
            publish(session, Event("record.updated", f"user{n}", subject_type="record", subject_id=str(n),
                                   data={"n": n}))


def _verify(app: Any) -> Any:
    with app.extensions["boms_db"].read() as session:
        return verify(session)


def _attacker(database: Database) -> Any:
    """A connection of someone with write access to the database: the append-only triggers dropped."""
    conn = database.engine.connect()
    if database.is_sqlite:
        for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).all():
            conn.execute(text(f'DROP TRIGGER "{name}"'))
    else:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    return conn


def _sha256_v1(row: dict[str, Any]) -> str:
    body = canonical_json([row["prev_hash"], row["seq"], row["at"].isoformat(), row["actor"], row["kind"],
                           row["instance_id"], row["task_id"], row["element_id"], row["data"]])
    return hashlib.sha256(body.encode()).hexdigest()


def _recompute_from(conn: Any, seq: int, key: bytes | None, version: int) -> None:
    """Rewrite every hash from `seq` on, and the heads, as someone without the real key would."""
    table = AuditEvent.__table__
    rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.chain, table.c.chain_seq))]
    prev: dict[int, str] = {}
    for row in rows:
        if row["seq"] >= seq:
            row["prev_hash"] = prev.get(row["chain"], GENESIS)
            if version == 1:
                row["hash"] = _sha256_v1(row)
            else:
                body = canonical_json(["v2", *(row[n].isoformat() if n == "at" else row[n] for n in HASHED)])
                row["hash"] = hmac.new(key or b"", body.encode(), hashlib.sha256).hexdigest()
            conn.execute(text("UPDATE audit_event SET prev_hash = :p, hash = :h, hash_version = :v WHERE seq = :s"),
                         {"p": row["prev_hash"], "h": row["hash"], "v": version, "s": row["seq"]})
        prev[row["chain"]] = row["hash"]
    for chain, last in prev.items():
        conn.execute(text("UPDATE audit_head SET hash = :h WHERE id = :c"), {"h": last, "c": chain})
    conn.commit()


def test_the_subject_is_covered_by_the_hash(app: Any) -> None:
    _write(app)
    assert _verify(app).ok
    with _attacker(app.extensions["boms_db"]) as conn:
        conn.execute(text("UPDATE audit_event SET subject_id = '99' WHERE seq = 2"))
        conn.commit()
    assert {"seq": 2, "problem": "content does not match its hash (edited)"} in _verify(app).problems


@pytest.mark.parametrize("guess", [b"", b"test", hashlib.sha256(b"guess").hexdigest().encode()])
def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_detected(app: Any, guess: bytes) -> None:
    """The attack of issue 16: triggers dropped, a row edited, every later hash (and the head) recomputed."""
    _write(app)
    with _attacker(app.extensions["boms_db"]) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
        _recompute_from(conn, 2, guess, version=2)
    result = _verify(app)
    assert not result.ok
    assert {"seq": 2, "problem": "content does not match its hash (edited)"} in result.problems


def test_rewriting_keyed_rows_in_the_old_unkeyed_formula_is_detected(app: Any) -> None:
    _write(app)
    with _attacker(app.extensions["boms_db"]) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
        _recompute_from(conn, 1, None, version=1)  # every row, so nothing keyed is left to contradict it
    problems = _verify(app).problems
    assert problems and all("forged" in p["problem"] or "not sealed" in p["problem"] for p in problems)


def test_the_same_edit_recomputed_with_the_key_verifies(app: Any) -> None:
    """What the key does not protect against: someone holding both the database and the key."""
    _write(app)
    with _attacker(app.extensions["boms_db"]) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
        _recompute_from(conn, 2, app.extensions["boms_audit"].key, version=2)
    assert _verify(app).ok


def test_verify_with_another_key_fails(app: Any) -> None:
    _write(app, 2)
    with app.extensions["boms_db"].read() as session:
        assert verify(session, key=b"another key").problems[0]["problem"] == "content does not match its hash (edited)"


def test_reordered_rows_are_detected(app: Any) -> None:
    _write(app)
    with _attacker(app.extensions["boms_db"]) as conn:
        # Swap the contents of rows 2 and 3 (a reordering), hashes and all.
        a, b = (dict(conn.execute(text(f"SELECT * FROM audit_event WHERE seq = {s}")).one()._mapping) for s in (2, 3))
        for target, source in ((a, b), (b, a)):
            conn.execute(text("UPDATE audit_event SET actor = :actor, data = :data, subject_id = :subject_id, "
                              "prev_hash = :prev_hash, hash = :hash WHERE seq = :seq"),
                         {**source, "seq": target["seq"]})
        conn.commit()
    problems = _verify(app).problems
    # Rows of the compact format (hash version 3) store no link: their hash covers it, so a moved row
    # does not match its hash.
    assert any(p["problem"] in ("does not link to the previous row", EDITED) for p in problems)
    assert {p["seq"] for p in problems} >= {2, 3}


def test_concurrent_writers_use_separate_chains_each_verifiable(app: Any) -> None:
    database = app.extensions["boms_db"]
    if database.is_sqlite:
        # One writer at a time (BEGIN IMMEDIATE): every append extends chain 1.
        for n in range(3):
            with database.write() as session:
                publish(session, Event("record.created", "w", subject_type="record", subject_id=str(n)))
        with database.read() as session:
            assert set(session.scalars(select(AuditEvent.chain))) == {1}
        assert _verify(app).ok
        return
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with database.write() as session:
            publish(session, Event("record.created", "slow", subject_type="record", subject_id="1"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert holding.wait(10)
    with database.write() as session:  # does not wait for the slow writer's chain
        [fast] = publish(session, Event("record.created", "fast", subject_type="record", subject_id="2"))
    release.set()
    thread.join()
    with database.read() as session:
        rows = {r.actor: r for r in session.scalars(select(AuditEvent))}
    assert rows["slow"].chain != rows["fast"].chain and rows["fast"].seq == fast.seq
    assert _verify(app).ok
    with _attacker(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE actor = 'slow'"))
        conn.commit()
    assert _verify(app).problems == [{"seq": rows["slow"].seq, "problem": "the last rows of the log are missing"}]


def test_the_audit_key_is_generated_into_the_instance_folder_0600(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("BOMS_AUDIT_KEY", raising=False)
    first = Config.from_env(instance_path=tmp_path / "instance", secret_key="x")
    key_file = tmp_path / "instance" / "audit_key"
    assert key_file.read_text() == first.audit_key and len(first.audit_key) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Config.from_env(instance_path=tmp_path / "instance", secret_key="x").audit_key == first.audit_key
    monkeypatch.setenv("BOMS_AUDIT_KEY", "from-the-environment")
    assert Config.from_env(instance_path=tmp_path / "instance", secret_key="x").audit_key == "from-the-environment"


# --- an old log (before 0006) brought along ------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    require_postgres()  # fails in CI rather than skipping
    with pg_database(f"boms_old_{uuid.uuid4().hex[:10]}") as url:
        yield url


def _old_log(url: str, count: int) -> None:
    """Rows as the code before 0006 wrote them: one chain, SHA-256, seq from the head row."""
    from datetime import datetime

    engine = create_engine(url)
    prev = GENESIS
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            row = {"seq": seq, "at": datetime(2026, 11, 1, 12, 0, seq), "actor": "old", "kind": "task.completed",
                   "instance_id": "i-1", "task_id": f"t-{seq}", "element_id": "work",
                   "data": json.dumps({"n": seq}), "prev_hash": prev}
            row["hash"] = prev = _sha256_v1(row)
            conn.execute(text("INSERT INTO audit_event (seq, at, actor, kind, instance_id, task_id, element_id, data, "
                              "prev_hash, hash) VALUES (:seq, :at, :actor, :kind, :instance_id, :task_id, "
                              ":element_id, :data, :prev_hash, :hash)"), row)
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                     {"seq": count, "hash": prev})
    engine.dispose()


def test_an_old_log_still_verifies_after_the_migration_and_continues_keyed(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0005")
    _old_log(empty_url, 5)
    upgrade(empty_url)
    database = Publisher(b"the key").attach(Database(empty_url))
    try:
        with database.read() as session:
            result = verify(session)
        assert result.checked == 5 and [p["problem"] for p in result.problems] == [
            "the unkeyed rows are not sealed by a keyed row (`boms db upgrade` writes one)"]
        with database.write() as session:
            assert seal_legacy(session) is True
        with database.write() as session:
            assert seal_legacy(session) is False  # once
            publish(session, [Event("record.created", "new", subject_type="record", subject_id="1")])
        with database.read() as session:
            assert verify(session).to_dict() == {"ok": True, "checked": 7, "problems": []}
            versions = [(r.seq, r.chain, r.chain_seq, r.hash_version) for r in
                        session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
            assert versions == [(1, 1, 1, 1), (2, 1, 2, 1), (3, 1, 3, 1), (4, 1, 4, 1), (5, 1, 5, 1),
                                (6, 1, 6, 3), (7, 1, 7, 3)]
            assert len(session.scalars(select(AuditHead)).all()) == 16
        # An edit of an old row is still found by the old formula.
        with _attacker(database) as conn:
            conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
            conn.commit()
        with database.read() as session:
            assert {"seq": 3, "problem": "content does not match its hash (edited)"} in verify(session).problems
    finally:
        database.dispose()


def test_boms_db_upgrade_seals_an_old_log(empty_url: str, tmp_path: Path) -> None:
    from server.cli import main

    command.upgrade(alembic_config(empty_url), "0005")
    _old_log(empty_url, 3)
    env = {"BOMS_DATABASE_URL": empty_url, "BOMS_INSTANCE_PATH": str(tmp_path / "instance"), "BOMS_SECRET_KEY": "x"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert main(["db", "upgrade"]) == 0
        assert main(["audit", "verify"]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v



def test_an_event_in_a_rolled_back_savepoint_leaves_the_chain_intact(app: Any) -> None:
    """Jobs run in savepoints of one batch transaction; one that fails must not bend the chain."""
    _write(app, 1)
    with app.extensions["boms_db"].write() as session:
        publish(session, Event("record.updated", "batch", subject_type="record", subject_id="1"))
        savepoint = session.begin_nested()
        publish(session, Event("record.updated", "failed job", subject_type="record", subject_id="2"))
        savepoint.rollback()
        with session.begin_nested():
            publish(session, Event("record.updated", "next job", subject_type="record", subject_id="3"))
        publish(session, Event("record.updated", "batch", subject_type="record", subject_id="4"))
    result = _verify(app)
    assert result.ok, result.problems
    with app.extensions["boms_db"].read() as session:
        assert [r.actor for r in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))] == [
            "user0", "batch", "next job", "batch"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has one writer, no row locks
def test_a_chain_locked_in_a_rolled_back_savepoint_is_locked_again(app: Any) -> None:
    """PostgreSQL releases a row lock taken inside a savepoint that is rolled back: the next append of the same
    transaction must lock the head again before reading it, or it appends after a head another writer has
    moved meanwhile (a unique-index failure at its insert)."""
    database = app.extensions["boms_db"]
    lost, other_holds, done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def batch() -> None:
        try:
            with database.write() as session:
                savepoint = session.begin_nested()
                publish(session, Event("record.updated", "failed job", subject_type="record", subject_id="1"))
                savepoint.rollback()  # chain 1's lock is gone with it
                lost.set()
                assert other_holds.wait(10)
                publish(session, Event("record.updated", "batch", subject_type="record", subject_id="2"))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=batch)
    thread.start()
    assert lost.wait(10)
    with database.write() as session:  # takes the free chain 1 and appends while the batch waits
        publish(session, Event("record.updated", "other", subject_type="record", subject_id="3"))
        other_holds.set()
        done.wait(1)  # the batch's second append reads the head now (it must wait for this commit)
    thread.join(10)
    assert not failures, failures
    assert _verify(app).ok
    with database.read() as session:
        assert sorted(session.scalars(select(AuditEvent.actor))) == ["batch", "other"]
