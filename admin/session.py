"""The database handle Flask-Admin's model views query with.

Flask-Admin 2 wants a Flask-SQLAlchemy object (passing a bare session is deprecated and goes in 3.0).
A stock Flask-SQLAlchemy would build a second engine and pool from the URL, without BOMS's SQLite
set-up (WAL, busy timeout, BEGIN IMMEDIATE for writers) and without its PostgreSQL pool sizes. So
the extension is handed `Database.engine` itself: one engine, one pool, one set of connection rules;
Flask-SQLAlchemy only scopes a session to the application context and removes it at teardown.
`_make_engine` is the one hook for that (pinned: flask-sqlalchemy 3.1.x; tests/admin/test_session.py
fails if the engines ever differ). The model views that use it are read-only lists: their actions
call the services inside `Database.write()`, so this session never writes.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine

from server.db import current_database


class SharedEngineSQLAlchemy(SQLAlchemy):
    def __init__(self, engine: Engine) -> None:
        super().__init__(session_options={"expire_on_commit": False})
        self._shared_engine = engine

    def _make_engine(self, bind_key: str | None, options: dict[str, Any], app: Flask) -> Engine:
        return self._shared_engine


def init_session(app: Flask) -> SQLAlchemy:
    database = current_database(app)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database.url)
    db = SharedEngineSQLAlchemy(database.engine)
    db.init_app(app)
    return db
