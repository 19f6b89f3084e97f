"""Export: the caller's fields and rows only, headers in their language, formulas neutralised, audited."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import python_calamine
from sqlalchemy import select

from server.models import AuditEvent


def _seed(api: Any) -> None:
    for code, name, price, status in (("E-1", "=cmd|' /C calc'!A0", "12.50", "open"), ("E-2", "Desk", "3.00",
                                                                                        "closed")):
        response = api.post("sam", "/api/v1/records/item", json={"fields": {
            "code": code, "name": name, "price": price, "status": status, "since": "2026-03-05"}})
        assert response.status_code == 201, response.get_json()
    with api.app.extensions["boms_db"].write() as session:  # a hidden value the export must not carry
        session.execute(__import__("sqlalchemy").text("UPDATE rec_item SET cost = 99.99"))


def test_csv_export_has_a_bom_labels_in_chinese_and_no_hidden_field(items_api: Any) -> None:
    _seed(items_api)
    response = items_api.get("reader", "/api/v1/records/item/export",
                             query_string={"format": "csv", "lang": "zh", "sort": "code"})
    assert response.status_code == 200, response.get_json()
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "编码", "名称"] and "成本" not in rows[0] and "Cost" not in rows[0]
    assert "99.99" not in response.data.decode("utf-8-sig")
    assert rows[1][2] == "'=cmd|' /C calc'!A0" and rows[1][rows[0].index("状态")] == "打开"
    assert response.headers["X-Rows"] == "2"
    with items_api.app.extensions["boms_db"].read() as session:
        event = session.execute(select(AuditEvent).where(AuditEvent.kind == "record.exported")).scalar_one()
    assert event.actor == "reader" and json.loads(event.data)["rows"] == 2


def test_xlsx_export_takes_filter_fields_and_sort(items_api: Any, tmp_path: Path) -> None:
    _seed(items_api)
    response = items_api.get("sam", "/api/v1/records/item/export",
                             query_string={"filter": 'status == "open"', "fields": "code,price,since",
                                           "sort": "-code"})
    assert response.status_code == 200
    path = tmp_path / "out.xlsx"
    path.write_bytes(response.data)
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["ID", "Code", "Price", "Since"]
    assert rows[1][1:3] == ["E-1", 12.5] and str(rows[1][3]).startswith("2026-03-05") and len(rows) == 2


def test_export_refuses_what_the_caller_may_not_see(items_api: Any) -> None:
    assert items_api.get("sam", "/api/v1/records/item/export", query_string={"fields": "cost"}).status_code == 400
    items_api.user("nobody", roles=())
    assert items_api.get("nobody", "/api/v1/records/item/export").status_code == 404
    assert items_api.get("sam", "/api/v1/records/item/export", query_string={"format": "pdf"}).status_code == 400
