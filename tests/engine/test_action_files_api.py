"""Attachments on approval actions over the API: uploaded for the task as 'attachments', named in the
action's body, listed in the history; a file that is not the caller's pending attachment is a 400 that
leaves the action undone."""

from __future__ import annotations

import io
from typing import Any

from tests.conftest import Api
from tests.engine.test_task_return import kinds, post, setup, submitted


def upload(api: Api, who: str, task_id: str, name: str, data: bytes = b"note", part: str = "attachments") -> Any:
    return api.client.post(f"/api/v1/tasks/{task_id}/files", headers=api.headers(who),
                           data={part: (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_transfer_carries_uploaded_attachments(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    response = upload(api, "boss", task["id"], "quote.pdf", b"%PDF quote")
    assert response.status_code == 201, response.get_json()
    file_id = response.get_json()["value"]["fileId"]
    done = post(api, "boss", f"/api/v1/tasks/{task['id']}/transfer", user="other", comment="yours",
                attachments=[file_id])
    assert done.status_code == 200, done.get_json()
    history = api.get("clerk", f"/api/v1/process-instances/{instance}/history").get_json()["items"]
    [attached] = [e for e in history if e["kind"] == "task.files_attached"]
    assert attached["actor"] == "boss" and attached["data"]["action"] == "transfer"
    assert [f["name"] for f in attached["data"]["files"]] == ["quote.pdf"]
    assert api.get("clerk", f"/api/v1/files/{file_id}").data == b"%PDF quote"
    # Bound once, and only by who uploaded it: the initiator cannot attach it to their urge.
    again = post(api, "clerk", f"/api/v1/tasks/{task['id']}/urge", attachments=[file_id])
    assert again.status_code == 400 and "task.urged" not in kinds(api, instance)


def test_a_wrong_attachment_leaves_the_action_undone(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    before = kinds(api, instance)
    for bad in (["not-a-file"], "x", [str(i) for i in range(5)]):
        refused = post(api, "boss", f"/api/v1/tasks/{task['id']}/return", to="initiator", comment="fix",
                       attachments=bad)
        assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "attachments"
    assert flow.elements(instance) == ["manager_review"] and kinds(api, instance) == before
    # Someone else's upload for the task is not yours to attach.
    assert upload(api, "boss", task["id"], "a.txt", part="nonsense").status_code == 400
    too_big = upload(api, "boss", task["id"], "big.bin", b"x" * (api.app.config["BOMS"].max_upload_bytes + 1))
    assert too_big.status_code == 413
