"""Shared helpers for the benchmarks: a fresh database per run, an app on it, users and tokens."""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "camunda"


@dataclass
class BenchDatabase:
    url: str
    label: str  # what gets printed: never the password
    reused: bool = False  # a kept database from an earlier run (see kept_database)


def _describe(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    return f"{parsed.get_backend_name()} {parsed.render_as_string(hide_password=True)}"


@contextmanager
def fresh_database(url: str | None, workdir: Path) -> Iterator[BenchDatabase]:
    """A migrated database that exists only for this run.

    Without a URL: a SQLite file in `workdir`. A PostgreSQL URL names the server (and the database
    to connect to for CREATE/DROP): a new `boms_bench_*` database is created there and dropped after,
    as tests/conftest.py does, so a benchmark never touches real data. Any other URL is used as given.
    """
    from server.migrate import upgrade

    if url is None:
        target = f"sqlite:///{workdir / 'bench.db'}"
        upgrade(target)
        yield BenchDatabase(target, _describe(target))
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        upgrade(url)
        yield BenchDatabase(url, _describe(url))
        return
    name = f"boms_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = parsed.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(target)
        yield BenchDatabase(target, _describe(target) + " (created for this run, dropped after)")
    finally:
        with admin.connect() as conn:
            # FORCE: a pooled connection the app forgot to close must not keep the database alive.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def kept_database(url: str | None, keep: str) -> Iterator[BenchDatabase]:
    """A database that outlives the run, for benchmarks whose data takes minutes to generate.

    `keep` is a SQLite file (without a PostgreSQL URL) or the name of a database on the URL's server;
    it is created when missing and reused, migrated to the current head, when it exists (`reused`).
    Delete the file or DROP the database to start again.
    """
    from server.migrate import upgrade

    if url is None or make_url(url).get_backend_name() == "sqlite":
        path = Path(keep).resolve()
        target = f"sqlite:///{path}"
        reused = path.exists()
        upgrade(target)
        yield BenchDatabase(target, _describe(target) + (" (kept, reused)" if reused else " (kept)"), reused)
        return
    parsed = make_url(url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        reused = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": keep}) is not None
        if not reused:
            conn.execute(text(f'CREATE DATABASE "{keep}"'))
    admin.dispose()
    target = parsed.set(database=keep).render_as_string(hide_password=False)
    upgrade(target)
    yield BenchDatabase(target, _describe(target) + (" (kept, reused)" if reused else " (kept)"), reused)


@contextmanager
def bench_app(database_url: str | None, keep: str | None = None) -> Iterator[tuple[Any, BenchDatabase]]:
    """A BOMS app (create_app, as `boms serve` builds it) on a fresh database in a temp dir, or on the
    kept database `keep` (kept_database)."""
    from server import create_app
    from server.config import Config

    with tempfile.TemporaryDirectory(prefix="boms-bench-") as tmp:
        workdir = Path(tmp)
        database = kept_database(database_url, keep) if keep else fresh_database(database_url, workdir)
        with database as db:
            # A fresh strong secret and a fixed broker URL: from_env would otherwise write a key file / read BOMS_*.
            config = Config.from_env(instance_path=workdir / "instance", database_url=db.url,
                                     secret_key=secrets.token_urlsafe(32),
                                     broker_url=f"sqla+sqlite:///{workdir / 'broker.db'}")
            app = create_app(config)
            try:
                yield app, db
            finally:
                app.extensions["boms_db"].dispose()


def add_user(app: Any, roles: list[str], groups: list[str]) -> tuple[int, str, str]:
    """A new user with a unique name (so a reused database never conflicts): (id, name, token)."""
    from server.auth.tokens import create_token
    from server.services.identity import add_user as add

    name = f"bench-{uuid.uuid4().hex[:8]}"
    with app.extensions["boms_db"].write() as session:
        user = add(session, name, "bench-password", roles=roles, groups=groups)
        token = create_token(session, user, "bench")
        session.flush()
        return user.id, name, token


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def machine() -> str:
    # The load average is printed because a busy machine (other jobs on the same cores) moves wall times.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU(s), " \
           f"{platform.system()} {platform.machine()}, load average {load}"


def replay_bare(engine: Any, statements: list[tuple[str, Any]], runs: int) -> tuple[list[float], list[list[float]]]:
    """The floor of a request: its captured statements replayed through the driver alone, `runs` times.
    Returns the seconds of each whole replay and, per statement, the seconds of each of its runs."""
    import time

    floors: list[float] = []
    each: list[list[float]] = [[] for _ in statements]
    raw = engine.raw_connection()
    try:
        for _ in range(runs):
            cursor = raw.cursor()
            started = time.perf_counter()
            for i, (statement, parameters) in enumerate(statements):
                one = time.perf_counter()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                each[i].append(time.perf_counter() - one)
            floors.append(time.perf_counter() - started)
            cursor.close()
    finally:
        raw.close()
    return floors, each
