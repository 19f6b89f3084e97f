"""The import page: upload, mapping and preview, import with progress, error workbook, in both languages."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.conftest import run_due_jobs
from tests.imports.conftest import csv_bytes, records


def test_upload_preview_map_import_and_download_errors(items_api: Any, browser: Any) -> None:
    web = browser("sam")
    page = web.get("/records/item/import")
    assert page.status_code == 200 and 'data-testid="import-template"' in page.get_data(as_text=True)
    content = csv_bytes([["Code", "Label", "qty"], ["W-1", "one", "1"], ["W-2", "two", "x"]])
    response = web.post("/records/item/import", {"file": (io.BytesIO(content), "items.csv"), "skip_invalid": "1"},
                        from_page="/records/item/import", content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    html = web.get(url).get_data(as_text=True)
    assert 'data-status="previewed"' in html and 'data-testid="import-mapping"' in html
    assert "is not a number" in html and "is required" in html  # 'Label' is not mapped to the name yet
    import_id = url.rstrip("/").rsplit("/", 1)[-1]
    mapped = web.post(f"/records/item/import/{import_id}/commit",
                      {"map:Code": "code", "map:Label": "name", "map:qty": "qty", "skip_invalid": "1"},
                      from_page=url)
    assert mapped.status_code == 302
    run_due_jobs(items_api.app)
    done = web.get(mapped.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in done and re.search(r"added: 1\b", done)
    assert [(r["fields"]["code"], r["fields"]["name"]) for r in records(items_api)] == [("W-1", "one")]
    errors = web.get(mapped.headers["Location"] + "/errors.xlsx")
    assert errors.status_code == 200 and errors.data.startswith(b"PK")


def test_a_refused_file_is_said_in_chinese_and_nothing_is_stored(items_api: Any, browser: Any) -> None:
    web = browser("sam")
    web.client.set_cookie("lang", "zh")
    response = web.post("/records/item/import", {"file": (io.BytesIO(b"a,a\n1,2\n"), "x.csv")},
                        from_page="/records/item/import", content_type="multipart/form-data",
                        headers={"Accept-Language": "zh"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "appears twice" in html and "没有导入" in html


def test_without_import_permission_the_page_refuses(items_api: Any, browser: Any) -> None:
    web = browser("reader")
    response = web.post("/records/item/import", {"file": (io.BytesIO(b"code\n1\n"), "x.csv")},
                        from_page="/records/item/import", content_type="multipart/form-data")
    assert response.status_code == 403 and records(items_api) == []


def test_the_rows_with_errors_are_said_in_chinese(items_api: Any, browser: Any) -> None:
    web = browser("sam")
    web.client.set_cookie("lang", "zh")
    content = csv_bytes([["Code", "Label", "qty", "status"], ["W-1", "one", "x", "purple"]])
    response = web.post("/records/item/import", {"file": (io.BytesIO(content), "items.csv")},
                        from_page="/records/item/import", content_type="multipart/form-data",
                        headers={"Accept-Language": "zh"})
    assert response.status_code == 302, response.get_data(as_text=True)
    html = web.get(response.headers["Location"], headers={"Accept-Language": "zh"}).get_data(as_text=True)
    errors = html[html.index('data-testid="import-error-list"'):]
    assert "“x”不是数字" in errors, errors[:2000]
    assert "is not a number" not in errors and "name: 为必填项" in errors
