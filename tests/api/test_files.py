"""Files over the API: upload for a task's file field, complete with the reference, download by those who
may see the instance (tests/fixtures/spiff/order-lines.bpmn: a "Quote" file field)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from server.models import StoredFile
from tests.api.test_openapi import Contract

PDF = b"%PDF-1.4 a quote\n"
UPLOAD = "/api/v1/tasks/{task_id}/files"


@pytest.fixture
def order(api: Any) -> dict[str, Any]:
    api.user("alice", groups=("employees",))
    api.user("mike", groups=("approvers",))
    api.user("olga", groups=("warehouse",))
    api.deploy("modeler", "spiff/order-lines.bpmn", "spiff/order-lines-schema.json")
    started = api.start("alice", "order_lines")
    return {"instance": started["id"], "task": started["openTasks"][0]["id"]}


def upload(api: Any, who: str, task_id: str, **parts: Any) -> Any:
    data = {name: (io.BytesIO(content), filename) for name, (content, filename) in parts.items()}
    return api.client.post(f"/api/v1/tasks/{task_id}/files", headers=api.headers(who), data=data,
                           content_type="multipart/form-data")


def rows(api: Any) -> list[StoredFile]:
    with api.app.extensions["boms_db"].read() as session:
        return list(session.query(StoredFile))


def on_disk(api: Any) -> list[Path]:
    root = api.app.config["BOMS"].instance_path / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_complete_and_download(api: Any, order: dict[str, Any]) -> None:
    doc = api.client.get("/api/v1/openapi.json").get_json()
    response = upload(api, "alice", order["task"], attachment=(PDF, "quote.pdf"))
    uploaded = Contract(doc).check(response, "post", UPLOAD)
    assert response.status_code == 201 and uploaded["field"] == "attachment"
    value = uploaded["value"]
    assert value["name"] == "quote.pdf" and value["size"] == len(PDF) and value["contentType"] == "application/pdf"
    [row] = rows(api)
    assert (row.id, row.task_id, row.instance_id, row.uploaded_by) == (value["fileId"], order["task"],
                                                                      order["instance"], "alice")

    done = api.post("alice", f"/api/v1/tasks/{order['task']}/complete",
                    json={"variables": {"lines": [{"item": "Paper", "qty": 2}], "attachment": value}})
    assert done.status_code == 200, done.get_json()
    variables = api.get("admin", f"/api/v1/process-instances/{order['instance']}").get_json()["variables"]
    assert variables["attachment"] == value

    for who in ("alice", "mike", "admin", "auditor"):  # the starter, the approver, and who reads everything
        got = api.get(who, f"/api/v1/files/{value['fileId']}")
        assert got.status_code == 200 and got.data == PDF, who
        assert got.headers["Content-Disposition"].startswith("attachment") and got.mimetype == "application/pdf"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    refused = api.get("olga", f"/api/v1/files/{value['fileId']}")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert api.get("olga", "/api/v1/files/6f1c1d6e-0000-4000-8000-000000000000").status_code == 404
    assert api.get("olga", "/api/v1/files/..%2Fsecret_key").status_code == 404
    assert api.client.get(f"/api/v1/files/{value['fileId']}").status_code == 401


def test_a_file_reference_must_be_complete(api: Any, order: dict[str, Any]) -> None:
    bad = api.post("alice", f"/api/v1/tasks/{order['task']}/complete",
                   json={"variables": {"lines": [{"item": "Paper"}], "attachment": {"fileId": "x"}}})
    assert bad.status_code == 422 and "attachment" in bad.get_json()["error"]["fields"]


def test_refused_uploads_write_nothing(api: Any, order: dict[str, Any]) -> None:
    task = order["task"]
    wrong = upload(api, "alice", task, lines=(PDF, "quote.pdf"))
    assert wrong.status_code == 400 and "'lines' is not a file field" in wrong.get_json()["error"]["message"]
    two = upload(api, "alice", task, attachment=(PDF, "a.pdf"), other=(PDF, "b.pdf"))
    assert two.status_code == 400 and list(two.get_json()["error"]["fields"]) == ["attachment", "attachments"]
    assert upload(api, "alice", task).status_code == 400
    assert upload(api, "olga", task, attachment=(PDF, "quote.pdf")).status_code == 403
    assert upload(api, "alice", "no-such-task", attachment=(PDF, "quote.pdf")).status_code == 404
    assert api.client.post(UPLOAD.format(task_id=task)).status_code == 401
    limit = api.app.config["BOMS"].max_upload_bytes
    big = upload(api, "alice", task, attachment=(b"x" * (limit + 1), "big.bin"))
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "payload_too_large"
    assert rows(api) == [] and on_disk(api) == []


def test_only_who_may_complete_may_upload(api: Any, order: dict[str, Any]) -> None:
    api.post("alice", f"/api/v1/tasks/{order['task']}/complete",
             json={"variables": {"lines": [{"item": "Paper"}]}})
    # The task is done: no more files for it, even for the one who did it.
    late = upload(api, "alice", order["task"], attachment=(PDF, "quote.pdf"))
    assert late.status_code == 409
    [approve] = api.get("admin", f"/api/v1/process-instances/{order['instance']}").get_json()["openTasks"]
    # The approval task has no form, so no file field: a clear 400, not a stored file.
    no_field = upload(api, "mike", approve["id"], attachment=(PDF, "quote.pdf"))
    assert no_field.status_code == 400 and "it has none" in no_field.get_json()["error"]["message"]
    assert rows(api) == [] and on_disk(api) == []
