"""`boms records import`: the summary, the exit code, the records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server import cli
from tests.imports.conftest import csv_bytes, records


def test_the_cli_imports_with_a_progress_bar_and_a_summary(items_api: Any, database_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BOMS_INSTANCE_PATH", str(items_api.app.config["BOMS"].instance_path))
    monkeypatch.setenv("BOMS_DATABASE_URL", database_url)
    monkeypatch.delenv("BOMS_SECRET_KEY", raising=False)  # the instance folder's key
    path = tmp_path / "items.csv"
    path.write_bytes(csv_bytes([["code", "name", "qty"], ["L-1", "one", "1"], ["L-2", "two", "x"]]))
    assert cli.main(["records", "import", "item", str(path), "--user", "sam", "--dry-run"]) == 1
    assert "previewed: 0 inserted, 0 updated, 1 invalid, 1 valid" in capsys.readouterr().out
    assert cli.main(["records", "import", "item", str(path), "--user", "sam", "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "done: 1 inserted" in out and "row 3 C qty: 'x' is not a number" in out
    assert [r["fields"]["code"] for r in records(items_api)] == ["L-1"]
    assert cli.main(["records", "import", "item", str(path), "--user", "reader"]) == 2
