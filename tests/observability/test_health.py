"""/healthz and /readyz against the real database and broker, and with each of them broken."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import text

from server.db import DATABASE_EXTENSION, Database


def test_healthz_and_readyz_ok(app: Any) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_503_when_the_database_is_unreachable(app: Any) -> None:
    working = app.extensions[DATABASE_EXTENSION]
    # Nothing listens on port 1: the connection is refused at once.
    app.extensions[DATABASE_EXTENSION] = Database("postgresql+psycopg://postgres@127.0.0.1:1/boms")
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.extensions[DATABASE_EXTENSION].dispose()
        app.extensions[DATABASE_EXTENSION] = working
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("unreachable")
    assert body["checks"]["broker"] == "ok"


def test_readyz_503_when_migrations_are_behind(app: Any) -> None:
    with app.extensions[DATABASE_EXTENSION].write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("migrations not current: database at 0001")


def test_readyz_503_when_the_broker_is_unreachable(app: Any) -> None:
    app.config["BOMS"] = dataclasses.replace(app.config["BOMS"], broker_url="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["broker"].startswith("unreachable")
