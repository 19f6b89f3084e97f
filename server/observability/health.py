"""`/healthz`: the process answers. `/readyz`: it can do work — database and broker reachable,
database schema at the newest migration. A load balancer sends traffic only to ready nodes; a 503
names every check that failed, so the operator sees why without reading logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Flask, current_app
from kombu import Connection
from sqlalchemy import inspect, text

from server.db import DATABASE_EXTENSION, Database

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BROKER_TIMEOUT = 3.0  # seconds; a probe must answer before the load balancer gives up on it


def check_database(db: Database) -> str | None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        # Read the version table directly: alembic's MigrationContext logs two INFO lines per probe.
        current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) \
            if inspect(conn).has_table("alembic_version") else set()
    expected = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    if current != expected:
        return (f"migrations not current: database at {', '.join(sorted(current)) or 'none'}, "
                f"code expects {', '.join(sorted(expected))} (run `boms db upgrade`)")
    return None


def check_broker(url: str) -> str | None:
    with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return None


def readiness(app: Flask) -> dict[str, str]:
    """Each check's verdict: "ok" or what went wrong (never the credentials in a URL)."""
    checks: dict[str, Callable[[], str | None]] = {
        "database": lambda: check_database(app.extensions[DATABASE_EXTENSION]),
        "broker": lambda: check_broker(app.config["BOMS"].broker_url),
    }
    verdicts: dict[str, str] = {}
    for name, check in checks.items():
        try:
            verdicts[name] = check() or "ok"
        except Exception as exc:  # noqa: BLE001 (any failure means "not ready"; say which)
            log.warning("readiness check %s failed: %s", name, exc)
            verdicts[name] = f"unreachable: {type(exc).__name__}"
    return verdicts


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, object], int]:
        checks = readiness(current_app)
        ready = all(v == "ok" for v in checks.values())
        return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
