"""An import is not held to the form-upload limit (BOMS_MAX_UPLOAD_BYTES); it has its own (1 GB)."""

from __future__ import annotations

from typing import Any

from tests.imports.conftest import csv_bytes, upload


def test_a_file_above_the_form_upload_limit_is_accepted(items_api: Any) -> None:
    limit = items_api.app.config["BOMS"].max_upload_bytes
    rows = [["code", "name", "notes"], *[[f"B-{i}", "n", "x" * 200] for i in range(limit // 200 + 10)]]
    content = csv_bytes(rows)
    assert len(content) > limit
    response = upload(items_api, content, dryRun=True)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "pending"
