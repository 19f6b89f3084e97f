"""Files on disk are private to the server's user (0600 files, 0700 folders), and a weak secret key is
refused at start-up outside tests."""

from __future__ import annotations

import io
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from server import create_app
from server.config import Config, ConfigError
from server.db import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_and_secret_key_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOMS_SECRET_KEY", raising=False)
    monkeypatch.delenv("BOMS_INSTANCE_PATH", raising=False)
    folder = tmp_path / "instance"
    config = Config.from_env(instance_path=folder)
    assert mode(folder) == 0o700
    assert mode(folder / "secret_key") == 0o600 and len(config.secret_key) >= 32


def test_the_sqlite_database_and_its_journal_are_private(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'data' / 'boms.db'}")
    with database.write() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
        created = sorted(p.name for p in (tmp_path / "data").iterdir())
        assert "boms.db-wal" in created
        for name in created:
            assert mode(tmp_path / "data" / name) == 0o600, name
    assert mode(tmp_path / "data") == 0o700
    database.dispose()


def test_uploads_are_private(api: Any) -> None:
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "spiff/order-lines.bpmn", "spiff/order-lines-schema.json")
    started = api.start("alice", "order_lines")
    response = api.client.post(f"/api/v1/tasks/{started['openTasks'][0]['id']}/files", headers=api.headers("alice"),
                               data={"attachment": (io.BytesIO(b"%PDF-1.4"), "q.pdf")},
                               content_type="multipart/form-data")
    assert response.status_code == 201
    root = api.app.config["BOMS"].instance_path / "files"
    [stored] = [p for p in root.rglob("*") if p.is_file()]
    assert mode(stored) == 0o600 and mode(stored.parent) == 0o700 and mode(root) == 0o700


@pytest.mark.parametrize("key", ["x", "short-key-of-31-characters-xxxx", "a" * 64, "abababababababababababababababab",
                                 "changeme" * 5])
def test_a_weak_secret_key_is_refused(tmp_path: Path, key: str) -> None:
    config = Config.from_env(instance_path=tmp_path / "i", database_url=f"sqlite:///{tmp_path / 'b.db'}",
                             secret_key=key)
    with pytest.raises(ConfigError, match="BOMS_SECRET_KEY"):
        create_app(config)


def test_a_strong_key_and_tests_are_accepted(tmp_path: Path) -> None:
    for key, testing in ((secrets.token_urlsafe(32), False), ("test", True)):
        app = create_app(Config.from_env(instance_path=tmp_path / "i", database_url=f"sqlite:///{tmp_path / 'b.db'}",
                                         secret_key=key, testing=testing))
        app.extensions["boms_db"].dispose()
