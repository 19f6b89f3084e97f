"""The refused rows of an import in the reader's language: what the chunks and the batch path say (a unique
value taken or repeated, a formula failing), on the page and in the error workbook downloaded from it."""

from __future__ import annotations

import io
from typing import Any

import python_calamine

from tests.conftest import run_due_jobs
from tests.imports.conftest import csv_bytes
from tests.imports.test_import_batch import TICKET

UNIQUE_TICKET = {**TICKET, "fields": [*TICKET["fields"], {"key": "code", "label": {"en": "Code", "zh": "代码"},
                                                          "type": "text", "unique": True}]}


def _imported(api: Any, browser: Any, language: str) -> tuple[str, list[str]]:
    assert api.post("modeler", "/api/v1/record-types", json=UNIQUE_TICKET).status_code == 201
    api.user("sam", roles=("staff",))
    assert api.post("sam", "/api/v1/records/ticket", json={"fields": {"code": "TAKEN", "qty": 1, "unit": 1}}
                    ).status_code == 201
    web = browser("sam")
    web.client.set_cookie("lang", language)
    content = csv_bytes([["code", "qty", "unit"], ["A", "1", "2"], ["A", "1", "2"], ["TAKEN", "1", "1"],
                         ["B", "0", "1"]])
    response = web.post("/records/ticket/import", {"file": (io.BytesIO(content), "t.csv"), "skip_invalid": "1"},
                        from_page="/records/ticket/import", content_type="multipart/form-data",
                        headers={"Accept-Language": language})
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    import_id = url.rstrip("/").rsplit("/", 1)[-1]
    committed = web.post(f"/records/ticket/import/{import_id}/commit", {"map:code": "code", "map:qty": "qty",
                                                                         "map:unit": "unit", "skip_invalid": "1"},
                         from_page=url)
    assert committed.status_code == 302
    run_due_jobs(api.app)
    html = web.get(committed.headers["Location"], headers={"Accept-Language": language}).get_data(as_text=True)
    errors = html[html.index('data-testid="import-error-list"'):]
    workbook = web.get(committed.headers["Location"] + "/errors.xlsx", headers={"Accept-Language": language})
    assert workbook.status_code == 200
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(workbook.data)).get_sheet_by_index(0)
    return errors, [row[-1] for row in sheet.to_python()[1:]]


def test_in_chinese(api: Any, browser: Any) -> None:
    errors, cells = _imported(api, browser, "zh")
    assert "“A”在文件中前面已出现；code 必须唯一" in errors, errors[:3000]
    assert "已被另一条记录使用；code 必须唯一" in errors
    assert "share: 无法在此记录上计算" in errors
    assert "must be unique" not in errors and "cannot be computed" not in errors
    assert cells[0].startswith("第 3 行：A (code): “A”在文件中前面已出现"), cells
    assert cells[1].startswith("第 4 行：") and "已被另一条记录使用" in cells[1]
    assert cells[2].startswith("第 5 行：share: 无法在此记录上计算"), cells


def test_in_english(api: Any, browser: Any) -> None:
    errors, cells = _imported(api, browser, "en")
    assert "“A” appears earlier in the file; code must be unique" in errors, errors[:3000]
    assert cells[0] == "row 3: A (code): “A” appears earlier in the file; code must be unique", cells
    assert cells[2].startswith("row 5: share: cannot be computed on this record"), cells
