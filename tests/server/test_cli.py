"""The `boms` command, run as a user would, on a fresh SQLite instance folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def boms(instance: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOMS_INSTANCE_PATH": str(instance)}
    env.pop("BOMS_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, text=True,
                            capture_output=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow
def test_cli_end_to_end(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    assert "up to date" in boms(instance, "db", "upgrade").stdout
    assert (instance / "boms.db").exists()

    demo = boms(instance, "demo").stdout
    assert "alice" in demo and "deployed purchase_request version 1" in demo
    credentials = (instance / "demo-credentials.txt").read_text()
    assert "alice" in credentials and oct((instance / "demo-credentials.txt").stat().st_mode)[-3:] == "600"
    again = boms(instance, "demo").stdout
    assert "demo-credentials.txt" in again and "(unchanged)" in again
    for line in credentials.splitlines():  # printed once only
        assert line.split()[1] not in again

    boms(instance, "user", "add", "zoe", "--password", "correct horse", "--groups", "finance,managers",
         "--role", "staff", "--manager", "alice")
    token = boms(instance, "token", "create", "zoe").stdout.strip()
    assert token.startswith("boms_") and "\n" not in token

    out = boms(instance, "deploy", str(ROOT / "tests/fixtures/camunda/two_user_tasks.bpmn")).stdout
    assert "process two_tasks version 1 (deployed)" in out
    bad = boms(instance, "deploy", str(ROOT / "tests/fixtures/bad/bad_expression.bpmn"), check=False)
    assert bad.returncode == 2 and "flow_bad" in bad.stderr

    assert "audit chain intact" in boms(instance, "audit", "verify").stdout
    with sqlite3.connect(instance / "boms.db") as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE seq = 1")
    broken = boms(instance, "audit", "verify", check=False)
    assert broken.returncode == 1 and "seq 1" in broken.stdout
