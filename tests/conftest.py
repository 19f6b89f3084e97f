"""Fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

The schema is migrated once per run into a template (a SQLite file, a PostgreSQL template database);
each test gets a copy, so tests are isolated and still fast.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from server import create_app
from server.auth import passwords
from server.config import Config
from server.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
# Argon2id with its production cost takes ~0.1 s per hash, and every test creates several users: the
# suite hashes with minimal cost instead (still Argon2id; the parameters travel inside each hash).
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_ADMIN_URL = os.environ.get("BOMS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def require_postgres() -> None:
    """Skip without PostgreSQL, saying why; under BOMS_REQUIRE_POSTGRES=1 (CI) fail instead."""
    reason = _pg_available()
    if reason:
        if os.environ.get("BOMS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (BOMS_REQUIRE_POSTGRES=1: CI must test PostgreSQL)")
        pytest.skip(reason)


@contextmanager
def pg_database(name: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a copy of `template`, or empty) for the block's duration: its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    require_postgres()
    name = f"boms_tmpl_{RUN_ID}"
    with pg_database(name) as url:
        upgrade(url)
        yield name


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "boms.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    with pg_database(f"boms_t_{RUN_ID}_{uuid.uuid4().hex[:8]}", template) as url:
        yield url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    config = Config.from_env(instance_path=tmp_path / "instance", database_url=database_url,
                             secret_key="test", testing=True, max_upload_bytes=2 * 1024 * 1024,
                             login_rate_limit="1000 per minute", login_address_rate_limit="1000 per minute")
    app = create_app(config)
    yield app
    app.extensions["boms_db"].dispose()


class Api:
    """A test client that speaks as one user at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def user(self, name: str, roles: tuple[str, ...] = ("staff",), groups: tuple[str, ...] = (),
             manager: str | None = None) -> str:
        from server.auth.tokens import create_token
        from server.services.identity import add_user

        with self.app.extensions["boms_db"].write() as session:
            user = add_user(session, name, "password-" + name, roles=list(roles), groups=list(groups),
                            manager=manager)
            self.tokens[name] = create_token(session, user, "test")
        return self.tokens[name]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers(who), **kw)

    def post(self, who: str, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers(who), json=json, **kw)

    def deploy(self, who: str, *paths: Path | str, expect: int | None = 201) -> Any:
        files = []
        for p in paths:
            path = Path(p)
            if not path.is_absolute():
                path = (FIXTURES / path) if (FIXTURES / path).exists() else ROOT / path
            files.append((open(path, "rb"), path.name))  # noqa: SIM115 (the client closes them)
        response = self.client.post("/api/v1/deployments", headers=self.headers(who),
                                    data={"file": files}, content_type="multipart/form-data")
        if expect is not None:
            assert response.status_code == expect, response.get_json()
        return response

    def start(self, who: str, key: str, variables: dict[str, Any] | None = None, expect: int = 201,
              **body: Any) -> Any:
        response = self.post(who, f"/api/v1/process-definitions/{key}/start",
                             json={"variables": variables or {}, **body})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def open_tasks(self, who: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(who, "/api/v1/tasks", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]


@pytest.fixture
def api(app: Any) -> Api:
    client = Api(app)
    client.user("admin", roles=("admin",))
    client.user("modeler", roles=("modeler",))
    client.user("auditor", roles=("auditor",))
    return client


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A logged-in web session through Flask's test client (CSRF on, as in production)."""

    def __init__(self, api: Api, who: str) -> None:
        self.client = api.app.test_client()
        self.who = who
        page = self.client.get("/login")
        response = self.client.post("/login", data={"username": who, "password": "password-" + who,
                                                    "csrf_token": self.csrf(page.get_data(as_text=True))})
        assert response.status_code == 302, response.get_data(as_text=True)

    @staticmethod
    def csrf(html: str) -> str:
        match = CSRF.search(html)
        assert match, "the page has no CSRF token"
        return match.group(1)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, from_page: str | None = None, **kw: Any) -> Any:
        """POST a form the way a browser would: with the CSRF token of the page it came from."""
        page = self.client.get(from_page or url).get_data(as_text=True)
        return self.client.post(url, data={**(data or {}), "csrf_token": self.csrf(page)}, **kw)


@pytest.fixture
def browser(api: Api) -> Any:
    """browser("alice") logs a user (created with api.user) in and returns its web session."""
    return lambda who: Browser(api, who)


def purchase_request_team(api: Api) -> Api:
    """The demo purchase request deployed, with its people: alice reports to mike, mike to fiona."""
    api.user("fiona", groups=("finance",))
    api.user("mike", groups=("managers",), manager="fiona")
    api.user("alice", groups=("employees",), manager="mike")
    api.deploy("modeler", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    return api


def run_due_jobs(app: Any) -> int:
    """Run every job due now in this thread, as a worker would (timers, service tasks, event routing)."""
    from server.services.jobs import run_due

    return run_due(app)
