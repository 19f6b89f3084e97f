"""Attachment fields over the API: upload, name in a write, download by who may read, history, delete."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from server.models import StoredFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WORK_ORDER: dict[str, Any] = {
    "key": "job", "name": {"en": "Job", "zh": "工单"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "drawing", "label": {"en": "Drawing", "zh": "图纸"}, "type": "attachment",
         "accept": [".pdf", "image/*"], "maxSize": 1000},
        {"key": "photos", "label": {"en": "Photos", "zh": "照片"}, "type": "attachment", "multiple": True,
         "maxFiles": 2},
        {"key": "contract", "label": {"en": "Contract", "zh": "合同"}, "type": "attachment"},
    ],
    "permissions": [
        {"roles": ["staff"], "actions": ["read", "create", "update", "delete"],
         "fields": ["title", "drawing", "photos"]},
    ],
}


@pytest.fixture
def jobs(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("sue", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=WORK_ORDER).status_code == 201
    return api


def upload(api: Any, who: str, field: str, content: bytes = PNG, name: str = "plan.png",
           content_type: str = "image/png") -> Any:
    return api.client.post("/api/v1/records/job/files", headers=api.headers(who),
                           data={field: (io.BytesIO(content), name, content_type)},
                           content_type="multipart/form-data")


def files_of(api: Any, record_id: int | None) -> list[StoredFile]:
    with api.app.extensions["boms_db"].read() as session:
        return list(session.execute(select(StoredFile).where(StoredFile.record_type == "job",
                                                             StoredFile.record_id == record_id)).scalars())


def test_a_file_is_uploaded_attached_downloaded_replaced_and_deleted_with_its_record(jobs: Any) -> None:
    uploaded = upload(jobs, "sam", "drawing")
    assert uploaded.status_code == 201, uploaded.get_json()
    ref = uploaded.get_json()["value"]
    assert ref["name"] == "plan.png" and ref["size"] == len(PNG) and ref["contentType"] == "image/png"
    created = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T1",
                                                                      "drawing": [{"fileId": ref["fileId"]}]}})
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["fields"]["drawing"] == [ref]  # name, size and type come from the store
    assert [f.id for f in files_of(jobs, record["id"])] == [ref["fileId"]]
    download = jobs.get("sam", f"/api/v1/records/job/{record['id']}/files/{ref['fileId']}")
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    # a PATCH that keeps the file by its full reference (what GET returned) changes nothing
    same = jobs.client.patch(f"/api/v1/records/job/{record['id']}", headers=jobs.headers("sam"),
                             json={"fields": {"drawing": record["fields"]["drawing"]}, "version": 1})
    assert same.status_code == 200 and same.get_json()["version"] == 1
    second = upload(jobs, "sam", "drawing", b"%PDF-1.4 x", "plan-b.pdf", "application/pdf").get_json()["value"]
    changed = jobs.client.patch(f"/api/v1/records/job/{record['id']}", headers=jobs.headers("sam"),
                                json={"fields": {"drawing": [second]}, "version": 1})
    assert changed.status_code == 200, changed.get_json()
    assert [f.id for f in files_of(jobs, record["id"])] == [second["fileId"]]
    assert jobs.get("sam", f"/api/v1/records/job/{record['id']}/files/{ref['fileId']}").status_code == 404
    history = jobs.get("sam", f"/api/v1/records/job/{record['id']}/history").get_json()["items"]
    assert history[1]["changes"]["drawing"] == {"old": [ref], "new": [second]}
    assert jobs.client.delete(f"/api/v1/records/job/{record['id']}",
                              headers=jobs.headers("sam")).status_code == 204
    assert files_of(jobs, record["id"]) == []


@pytest.mark.parametrize(("field", "content", "name", "kind", "status", "words"), [
    ("drawing", b"x" * 1001, "big.png", "image/png", 413, "more than the 1000 allowed"),
    ("drawing", b"MZ", "tool.exe", "application/octet-stream", 422, "not a kind of file"),
    ("drawing", b"", "empty.png", "image/png", 422, "empty"),
    ("nope", PNG, "a.png", "image/png", 400, "no attachment field 'nope'"),
    ("contract", PNG, "a.png", "image/png", 400, "no attachment field 'contract'"),  # hidden from staff
    ("title", PNG, "a.png", "image/png", 400, "no attachment field 'title'"),
])
def test_a_refused_upload_names_the_field_and_stores_nothing(jobs: Any, field: str, content: bytes, name: str,
                                                            kind: str, status: int, words: str) -> None:
    response = upload(jobs, "sam", field, content, name, kind)
    assert response.status_code == status, response.get_json()
    assert words in response.get_json()["error"]["message"]
    assert files_of(jobs, None) == []


def test_a_write_names_only_its_own_pending_uploads_of_that_field(jobs: Any) -> None:
    mine = upload(jobs, "sam", "drawing").get_json()["value"]
    photo = upload(jobs, "sam", "photos").get_json()["value"]
    for who, fields, key in (
            ("sue", {"drawing": [{"fileId": mine["fileId"]}]}, "drawing"),  # not sue's upload
            ("sam", {"photos": [{"fileId": mine["fileId"]}]}, "photos"),  # uploaded for another field
            ("sam", {"drawing": [{"fileId": "00000000-0000-0000-0000-000000000000"}]}, "drawing"),
            ("sam", {"photos": [{"fileId": photo["fileId"]}, {"fileId": photo["fileId"]}]}, "photos"),
            ("sam", {"drawing": [{"fileId": mine["fileId"], "extra": 1}]}, "drawing"),
            ("sam", {"drawing": "plan.png"}, "drawing")):
        response = jobs.post(who, "/api/v1/records/job", json={"fields": {"title": "T", **fields}})
        assert response.status_code == 422, response.get_json()
        assert any(name.split(".")[0] == key for name in response.get_json()["error"]["fields"])
    assert jobs.get("sam", "/api/v1/records/job").get_json()["items"] == []
    three = [upload(jobs, "sam", "photos").get_json()["value"] for _ in range(3)]
    too_many = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T", "photos": three}})
    assert too_many.status_code == 422 and "photos" in too_many.get_json()["error"]["fields"]
    ok = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T", "photos": three[:2]}})
    assert ok.status_code == 201 and len(ok.get_json()["fields"]["photos"]) == 2
    taken = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T2", "photos": three[:1]}})
    assert taken.status_code == 422  # already on the other record


def test_a_hidden_attachment_never_leaves_the_server(jobs: Any) -> None:
    ref = jobs.client.post("/api/v1/records/job/files", headers=jobs.headers("admin"),
                           data={"contract": (io.BytesIO(b"%PDF secret"), "c.pdf", "application/pdf")},
                           content_type="multipart/form-data").get_json()["value"]
    record = jobs.post("admin", "/api/v1/records/job", json={"fields": {"title": "T", "contract": [ref]}}).get_json()
    seen = jobs.get("sam", f"/api/v1/records/job/{record['id']}").get_json()
    assert "contract" not in seen["fields"]
    assert jobs.get("sam", f"/api/v1/records/job/{record['id']}/files/{ref['fileId']}").status_code == 404
    assert "contract" not in str(jobs.get("sam", f"/api/v1/records/job/{record['id']}/history").get_json())
    assert jobs.get("admin", f"/api/v1/records/job/{record['id']}/files/{ref['fileId']}").data == b"%PDF secret"
    schema = jobs.get("admin", "/api/v1/record-types/job/schema").get_json()
    assert schema["properties"]["drawing"]["items"]["required"] == ["fileId"]
    assert schema["properties"]["drawing"]["maxItems"] == 1 and schema["properties"]["photos"]["maxItems"] == 2


def test_the_record_form_uploads_keeps_and_removes_files_and_the_page_shows_them(jobs: Any, browser: Any) -> None:
    web = browser("sam")
    form = web.get("/records/job/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and 'accept=".pdf,image/*"' in form
    assert 'name="contract"' not in form  # hidden field: no input
    refused = web.post("/records/job/new", {"title": "Chair", "drawing__shown": "1",
                                            "drawing": (io.BytesIO(b"MZ"), "tool.exe", "application/x-msdownload")},
                       from_page="/records/job/new", content_type="multipart/form-data")
    assert refused.status_code == 422 and "tool.exe" in refused.get_data(as_text=True)
    assert files_of(jobs, None) == []  # the refused upload left no row
    created = web.post("/records/job/new", {"title": "Chair", "drawing__shown": "1", "photos__shown": "1",
                                            "drawing": (io.BytesIO(PNG), "chair.png", "image/png"),
                                            "photos": [(io.BytesIO(PNG), "a.png", "image/png"),
                                                       (io.BytesIO(PNG), "b.png", "image/png")]},
                       from_page="/records/job/new", content_type="multipart/form-data")
    assert created.status_code == 302, created.get_data(as_text=True)
    record_url = created.headers["Location"]
    record_id = int(record_url.rstrip("/").rsplit("/", 1)[1])
    page = web.get(record_url).get_data(as_text=True)
    assert "chair.png" in page and page.count('data-testid="thumbnail"') == 3
    [drawing] = [f for f in files_of(jobs, record_id) if f.field == "drawing"]
    image = web.get(f"/records/job/{record_id}/files/{drawing.id}?view=image")
    assert image.status_code == 200 and image.data == PNG and image.headers["Content-Disposition"] == "inline"
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")
    photos = sorted((f for f in files_of(jobs, record_id) if f.field == "photos"), key=lambda f: f.file_name)
    edit = web.get(f"/records/job/{record_id}/edit").get_data(as_text=True)
    assert f'value="{photos[0].id}"' in edit and "a.png" in edit
    saved = web.post(f"/records/job/{record_id}/edit",
                     {"title": "Chair", "version": "1", "drawing__shown": "1", "drawing": drawing.id,
                      "photos__shown": "1", "photos": photos[1].id},
                     from_page=f"/records/job/{record_id}/edit", content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert {f.file_name for f in files_of(jobs, record_id)} == {"chair.png", "b.png"}
    history = web.get(record_url).get_data(as_text=True)
    assert 'data-file-change="removed"' in history and "a.png" in history
    other = browser("sue")
    assert other.get(f"/records/job/{record_id}/files/{drawing.id}").status_code == 200  # staff may read all rows
    assert other.get(f"/records/job/{record_id + 1}/files/{drawing.id}").status_code == 404


def test_an_upload_no_record_takes_is_forgotten_after_a_day(jobs: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from server.db import utcnow
    from server.records.files import sweep_pending

    old = upload(jobs, "sam", "drawing").get_json()["value"]
    fresh = upload(jobs, "sam", "drawing").get_json()["value"]
    kept = upload(jobs, "sam", "photos").get_json()["value"]
    record = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T", "photos": [kept]}}).get_json()
    database = jobs.app.extensions["boms_db"]
    with database.write() as session:
        session.execute(update(StoredFile).where(StoredFile.id.in_([old["fileId"], kept["fileId"]]))
                        .values(created_at=utcnow() - timedelta(days=2)))
    assert sweep_pending(database, jobs.app.config["BOMS"]) == 1
    assert [f.id for f in files_of(jobs, None)] == [fresh["fileId"]]
    assert [f.id for f in files_of(jobs, record["id"])] == [kept["fileId"]]


def test_purging_a_removed_attachment_field_lets_its_files_go(jobs: Any) -> None:
    ref = upload(jobs, "sam", "drawing").get_json()["value"]
    record = jobs.post("sam", "/api/v1/records/job", json={"fields": {"title": "T", "drawing": [ref]}}).get_json()
    without = {**WORK_ORDER, "fields": [f for f in WORK_ORDER["fields"] if f["key"] != "drawing"],
               "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"],
                                "fields": ["title", "photos"]}]}
    assert jobs.client.put("/api/v1/record-types/job", headers=jobs.headers("modeler"),
                           json=without).status_code in (200, 201)
    assert [f.id for f in files_of(jobs, record["id"])] == [ref["fileId"]]  # removed, kept until purged
    purged = jobs.post("admin", "/api/v1/record-types/job/purge", json={"field": "drawing"})
    assert purged.status_code == 200, purged.get_json()
    assert files_of(jobs, record["id"]) == []


def test_only_who_may_create_or_edit_uploads(jobs: Any) -> None:
    response = upload(jobs, "auditor", "drawing")  # auditors read every record, write none
    assert response.status_code == 403 and "may not" in response.get_json()["error"]["message"]
    assert files_of(jobs, None) == []
