"""Imports over the API: end to end through the job, modes, errors, the error workbook, permissions."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import python_calamine

from tests.imports.conftest import csv_bytes, finished, records, upload, xlsx_bytes

HEADER = ["Code", "名称", "qty", "Price", "Ratio", "启用", "Since", "Seen at", "Status", "Tags", "Email", "Extra"]


def test_a_csv_is_imported_through_the_job_with_every_conversion(items_api: Any) -> None:
    rows = [HEADER,
            ["A-1", "Desk", "1,200", "¥1,234.50", "12.5%", "是", "2026/3/5", "2026-03-05 14:30", "打开", "Red, 蓝",
             "a@example.cn", "ignored"],
            ["A-2", "Chair", "3", "(10.00)", "0.5", "no", "2026年3月6日", "2026/3/6 08:00:00+08:00", "closed", "",
             "", ""]]
    response = upload(items_api, csv_bytes(rows))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["ignored"] == ["Extra"] and body["mapping"]["名称"] == "name"
    done = finished(items_api, body["id"])
    assert done["status"] == "done", done
    assert (done["inserted"], done["invalid"]) == (2, 0)
    first, second = records(items_api)
    assert first["fields"] == {"code": "A-1", "name": "Desk", "qty": 1200, "price": "1234.50", "ratio": "0.1250",
                               "active": True, "since": "2026-03-05", "seen_at": "2026-03-05T14:30:00Z",
                               "status": "open", "tags": ["red", "blue"], "email": "a@example.cn", "notes": None}
    assert second["fields"]["price"] == "-10.00" and second["fields"]["since"] == "2026-03-06"
    assert second["fields"]["seen_at"] == "2026-03-06T00:00:00Z" and second["fields"]["active"] is False
    history = items_api.get("sam", f"/api/v1/records/item/{first['id']}/history").get_json()
    assert history["items"][0]["kind"] == "record.created"


def test_an_xlsx_with_excel_dates_and_numbers_imports(items_api: Any, tmp_path: Path) -> None:
    content = xlsx_bytes([["code", "name", "qty", "since", "active"],
                          ["X-1", "Lamp", 4, date(2026, 3, 5), True],
                          ["X-2", "Shelf", 5.0, 46086, 0]], tmp_path / "in.xlsx")
    body = upload(items_api, content, "items.xlsx").get_json()
    done = finished(items_api, body["id"])
    assert done["status"] == "done", done
    got = [(r["fields"]["code"], r["fields"]["qty"], r["fields"]["since"], r["fields"]["active"])
           for r in records(items_api)]
    assert got == [("X-1", 4, "2026-03-05", True), ("X-2", 5, "2026-03-05", False)]


def test_abort_mode_writes_nothing_and_names_each_bad_cell(items_api: Any) -> None:
    rows = [["code", "name", "qty", "status"], ["B-1", "ok", "1", "open"], ["B-2", "", "lots", "maybe"],
            ["B-1", "dup", "2", "open"]]
    body = upload(items_api, csv_bytes(rows)).get_json()
    done = finished(items_api, body["id"])
    assert done["status"] == "failed" and "nothing was written" in done["message"]
    assert (done["valid"], done["invalid"]) == (1, 2)
    cells = {(e["row"], e["column"]) for e in done["errors"]}
    assert {(3, "B"), (3, "C"), (3, "D"), (4, "A")} <= cells, done["errors"]
    assert records(items_api) == []


def test_skip_mode_imports_the_good_rows_and_the_error_workbook_reimports(items_api: Any, tmp_path: Path) -> None:
    rows = [["code", "name", "qty"], ["C-1", "good", "1"], ["C-2", "bad qty", "-5"], ["C-3", "also good", "3"]]
    body = upload(items_api, csv_bytes(rows), onError="skip").get_json()
    done = finished(items_api, body["id"])
    assert done["status"] == "done" and (done["inserted"], done["invalid"]) == (2, 1), done
    response = items_api.get("sam", f"/api/v1/imports/{body['id']}/errors.xlsx")
    assert response.status_code == 200
    path = tmp_path / "errors.xlsx"
    path.write_bytes(response.data)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["code", "name", "qty", "Errors / 错误"]
    assert sheet[1][:3] == ["C-2", "bad qty", "-5"] and "C (qty)" in sheet[1][3] and "row 3" in sheet[1][3]
    corrected = xlsx_bytes([sheet[0], [sheet[1][0], sheet[1][1], 5, sheet[1][3]]], tmp_path / "fixed.xlsx")
    again = upload(items_api, corrected, "fixed.xlsx").get_json()
    assert again["ignored"] == ["Errors / 错误"]
    assert finished(items_api, again["id"])["status"] == "done"
    assert sorted(r["fields"]["code"] for r in records(items_api)) == ["C-1", "C-2", "C-3"]


def test_update_and_upsert_match_by_the_unique_key(items_api: Any) -> None:
    first = upload(items_api, csv_bytes([["code", "name"], ["U-1", "one"], ["U-2", "two"]])).get_json()
    assert finished(items_api, first["id"])["status"] == "done"
    update = upload(items_api, csv_bytes([["code", "name"], ["U-2", "TWO"]]), mode="update", key="code").get_json()
    assert finished(items_api, update["id"])["updated"] == 1
    missing = upload(items_api, csv_bytes([["code", "name"], ["U-9", "nine"]]), mode="update", key="code").get_json()
    failed = finished(items_api, missing["id"])
    assert failed["status"] == "failed" and "no item record has code 'U-9'" in failed["errors"][0]["message"]
    dup = upload(items_api, csv_bytes([["code", "name"], ["U-1", "a"], ["U-1", "b"]]), mode="update",
                 key="code").get_json()
    assert finished(items_api, dup["id"])["errors"][0]["row"] == 3
    upsert = upload(items_api, csv_bytes([["code", "name"], ["U-1", "ONE"], ["U-3", "three"]]), mode="upsert",
                    key="code").get_json()
    done = finished(items_api, upsert["id"])
    assert (done["inserted"], done["updated"]) == (1, 1), done
    assert [(r["fields"]["code"], r["fields"]["name"]) for r in records(items_api)] == [
        ("U-1", "ONE"), ("U-2", "TWO"), ("U-3", "three")]


def test_a_dry_run_previews_what_would_be_stored_and_writes_nothing(items_api: Any) -> None:
    rows = [["code", "name", "price"], *[[f"P-{i}", f"n{i}", f"{i},000.5"] for i in range(25)], ["P-x", "", "x"]]
    response = upload(items_api, csv_bytes(rows), dryRun=True)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "previewed" and (body["valid"], body["invalid"]) == (25, 1)
    assert len(body["preview"]) == 20 and body["preview"][1]["fields"]["price"] == "1000.50"
    assert records(items_api) == []
    commit = items_api.post("sam", f"/api/v1/imports/{body['id']}/commit", json={"options": {"onError": "skip"}})
    assert commit.status_code == 202, commit.get_json()
    assert finished(items_api, commit.get_json()["id"])["inserted"] == 25
    stored = records(items_api)
    for preview, record in zip(body["preview"], stored[:20], strict=True):  # the preview is what was stored
        assert preview["fields"] == {k: record["fields"][k] for k in preview["fields"]}


def test_without_the_import_permission_it_is_403_and_imports_are_private(items_api: Any) -> None:
    assert upload(items_api, csv_bytes([["code"], ["a"]]), who="reader").status_code == 403
    body = upload(items_api, csv_bytes([["code", "name"], ["a", "b"]])).get_json()
    assert items_api.get("reader", f"/api/v1/imports/{body['id']}").status_code == 404
    assert items_api.get("reader", "/api/v1/records/item/template.xlsx").status_code == 403


def test_cancel_stops_a_queued_import(items_api: Any) -> None:
    body = upload(items_api, csv_bytes([["code", "name"], ["a", "b"]])).get_json()
    assert items_api.post("sam", f"/api/v1/imports/{body['id']}/cancel").status_code == 200
    done = finished(items_api, body["id"])
    assert done["status"] == "cancelled" and records(items_api) == []
    assert items_api.post("sam", f"/api/v1/imports/{body['id']}/cancel").status_code == 409


def test_gbk_csv_with_semicolons_is_detected(items_api: Any) -> None:
    content = csv_bytes([["编码", "名称"], ["G-1", "桌子"]], encoding="gbk", delimiter=";")
    done = finished(items_api, upload(items_api, content).get_json()["id"])
    assert done["status"] == "done", done
    assert records(items_api)[0]["fields"]["name"] == "桌子"
    bom = "\ufeffcode,name\nB-1,椅子\n".encode()
    assert finished(items_api, upload(items_api, bom).get_json()["id"])["status"] == "done"


def test_the_template_has_labels_a_sample_and_a_dropdown(items_api: Any, tmp_path: Path) -> None:
    response = items_api.client.get("/api/v1/records/item/template.xlsx",
                                    headers={**items_api.headers("sam"), "Accept-Language": "zh"})
    assert response.status_code == 200
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.data)
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert "成本" not in rows[0] and "编码" in rows[0]
    import zipfile
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<dataValidation" in sheet_xml and "options!$A$1:$A$2" in sheet_xml


def test_cancel_mid_import_keeps_whole_chunks_and_says_so(items_api: Any, monkeypatch: Any) -> None:
    from sqlalchemy import update

    from server.models import RecordImport
    from server.records.imports import run

    rows = [["code", "name"], *[[f"M-{i}", "n"] for i in range(10)]]
    body = upload(items_api, csv_bytes(rows), onError="skip").get_json()
    original = run._chunks

    def cancelling(source: Any) -> Any:
        for number, chunk in enumerate(original(source)):
            if number == 2:  # between transactions: after two committed chunks
                with items_api.app.extensions["boms_db"].write() as session:
                    session.execute(update(RecordImport).values(cancel_requested=True))
            yield chunk

    monkeypatch.setattr(run, "CHUNK", 3)
    monkeypatch.setattr(run, "_chunks", cancelling)
    done = finished(items_api, body["id"])
    assert done["status"] == "cancelled" and done["inserted"] == 6 and done["rowsDone"] == 6, done
    assert "6 records" in done["message"] and len(records(items_api)) == 6
