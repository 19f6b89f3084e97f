"""`boms backup` / `boms restore` round trips on SQLite and PostgreSQL (database, uploads, keys), and
`boms check` finds weak modes, an unreachable broker and a schema behind the migrations."""

from __future__ import annotations

import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from server.cli import main
from server.models import ProcessInstance
from tests.conftest import Api


@pytest.fixture
def env(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    config = app.config["BOMS"]
    monkeypatch.setenv("BOMS_DATABASE_URL", config.database_url)
    monkeypatch.setenv("BOMS_INSTANCE_PATH", str(config.instance_path))
    monkeypatch.setenv("BOMS_BROKER_URL", config.broker_url)
    monkeypatch.delenv("BOMS_SECRET_KEY", raising=False)  # the generated one in the instance folder
    monkeypatch.delenv("BOMS_AUDIT_KEY", raising=False)
    return config


def _instances(app: Any) -> int:
    with app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_then_restore_brings_back_the_database_and_the_files(app: Any, api: Api, env: Any, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "events/timer_catch.bpmn")
    api.start("erin", "timer_catch", {"delay": "PT1H"})
    upload = env.instance_path / "files" / "ab" / "upload.bin"
    upload.parent.mkdir(parents=True, mode=0o700)
    upload.write_bytes(b"uploaded")
    audit_key = (env.instance_path / "audit_key").read_text()
    archive = tmp_path / "boms-backup.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert _mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "instance/files/ab/upload.bin" in names and "instance/audit_key" in names
    assert ("database.sqlite" if env.database_url.startswith("sqlite") else "database.pgdump") in names

    api.start("erin", "timer_catch", {"delay": "PT1H"})  # after the backup: gone after the restore
    upload.unlink()
    (env.instance_path / "audit_key").write_text("changed" * 10)
    app.extensions["boms_db"].dispose()
    assert main(["restore", str(archive)]) == 0
    assert "restored" in capsys.readouterr().out
    assert _instances(app) == 1
    assert upload.read_bytes() == b"uploaded" and _mode(upload) == 0o600
    assert (env.instance_path / "audit_key").read_text() == audit_key
    assert main(["audit", "verify"]) == 0


def test_restore_refuses_what_is_not_a_backup_of_this_kind(env: Any, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    assert main(["restore", str(junk)]) == 2
    assert "not a BOMS backup" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.tar.gz")]) == 2


def test_check_passes_then_names_each_problem(app: Any, env: Any, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "all checks passed" in out and "migrations current" in out and "broker reachable" in out

    loose = env.instance_path / "files" / "loose.bin"  # (the keys are narrowed whenever settings are read)
    loose.parent.mkdir(mode=0o700)
    loose.write_bytes(b"x")
    loose.chmod(0o644)
    monkeypatch.setenv("BOMS_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with app.extensions["boms_db"].write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "loose.bin is 644" in out and "broker unreachable" in out and "boms db upgrade" in out


def test_check_refuses_a_weak_secret(env: Any, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BOMS_AUDIT_KEY", "short")
    assert main(["check"]) == 1
    assert "BOMS_AUDIT_KEY is too weak" in capsys.readouterr().out
