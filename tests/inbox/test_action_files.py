"""Files attached to approval actions: stored with the action, listed in the history with a download for
whoever may see the instance, refused (nothing written, nothing changed) over the limits."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.engine.test_task_return import setup, submitted
from tests.inbox.test_files_and_rows import files_on_disk, stored


def test_a_return_carries_files_shown_in_the_history(api: Any, browser: Any) -> None:
    flow = setup(api)
    api.user("stranger")
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    url = f"/tasks/{task['id']}"
    boss = browser("boss")
    assert 'data-testid="attachments-return"' in boss.get(url).get_data(as_text=True)
    boss.post(f"{url}/approval/return", {"to": "initiator", "comment": "see the marked receipt",
                                         "attachments": [(io.BytesIO(b"%PDF-1.4 marked"), "marked.pdf"),
                                                         (io.BytesIO(b"a,b\n"), "sums.csv")]},
              from_page=url, content_type="multipart/form-data")
    assert flow.elements(instance) == ["submit"]
    rows = sorted(stored(api), key=lambda r: r.file_name)
    assert [(r.file_name, r.field, r.task_id, r.uploaded_by) for r in rows] == [
        ("marked.pdf", "action:return", task["id"], "boss"), ("sums.csv", "action:return", task["id"], "boss")]
    history = browser("clerk").get(f"/instances/{instance}").get_data(as_text=True)
    assert "boss attached files to Manager review" in history
    links = re.findall(r'href="/files/([0-9a-f-]{36})"', history)
    assert {r.id for r in rows} <= set(links)
    download = browser("clerk").get(f"/files/{rows[0].id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 marked"
    assert browser("stranger").get(f"/files/{rows[0].id}").status_code == 403
    zh = browser("clerk").get(f"/instances/{instance}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "boss 为 Manager review 附上了文件" in zh


def test_too_many_or_too_large_attachments_are_refused(api: Any, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    url = f"/tasks/{task['id']}"
    boss = browser("boss")
    limit = api.app.config["BOMS"].max_upload_bytes
    big = boss.post(f"{url}/approval/return", {"to": "initiator", "comment": "x",
                                               "attachments": [(io.BytesIO(b"x" * (limit + 1)), "big.bin")]},
                    from_page=url, content_type="multipart/form-data", follow_redirects=True)
    assert "Attach at most 4 files, each of at most 2 MB." in big.get_data(as_text=True)
    many = boss.post(f"{url}/approval/transfer", {"user": "other", "comment": "x",
                                                  "attachments": [(io.BytesIO(b"x"), f"{i}.txt") for i in range(5)]},
                     from_page=url, content_type="multipart/form-data", follow_redirects=True,
                     headers={"Accept-Language": "zh-CN"})
    assert "最多附上 4 个文件" in many.get_data(as_text=True)
    assert flow.elements(instance) == ["manager_review"] and flow.task(instance, "manager_review")["assignee"] == "boss"
    assert stored(api) == [] and files_on_disk(api) == []


def test_files_of_a_refused_action_are_deleted(api: Any, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    url = f"/tasks/{task['id']}"
    browser("boss").post(f"{url}/approval/transfer", {"user": "ghost",
                                                      "attachments": [(io.BytesIO(b"x"), "note.txt")]},
                         from_page=url, content_type="multipart/form-data")
    assert flow.task(instance, "manager_review")["assignee"] == "boss"
    assert stored(api) == [] and files_on_disk(api) == []
