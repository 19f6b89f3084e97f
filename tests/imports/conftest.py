"""An 'item' record type for imports: every importable field kind, a unique code, a hidden cost."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from tests.conftest import run_due_jobs

FIELDS = ["code", "name", "qty", "price", "ratio", "active", "since", "seen_at", "status", "tags", "email", "notes"]
ITEM: dict[str, Any] = {
    "key": "item",
    "name": {"en": "Item", "zh": "物品"},
    "fields": [
        {"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text", "unique": True, "required": True},
        {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text", "required": True,
         "validation": {"maxLength": 40}},
        {"key": "qty", "label": {"en": "Quantity", "zh": "数量"}, "type": "integer", "validation": {"min": 0}},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currency": "CNY"},
        {"key": "ratio", "label": {"en": "Ratio", "zh": "比例"}, "type": "decimal", "scale": 4},
        {"key": "active", "label": {"en": "Active", "zh": "启用"}, "type": "boolean"},
        {"key": "since", "label": {"en": "Since", "zh": "起始日期"}, "type": "date"},
        {"key": "seen_at", "label": {"en": "Seen at", "zh": "查看时间"}, "type": "datetime"},
        {"key": "status", "label": {"en": "Status", "zh": "状态"}, "type": "select",
         "options": [{"value": "open", "label": {"en": "Open", "zh": "打开"}},
                     {"value": "closed", "label": {"en": "Closed", "zh": "关闭"}}]},
        {"key": "tags", "label": {"en": "Tags", "zh": "标签"}, "type": "multi_select",
         "options": [{"value": "red", "label": {"en": "Red", "zh": "红"}},
                     {"value": "blue", "label": {"en": "Blue", "zh": "蓝"}}]},
        {"key": "email", "label": {"en": "Email", "zh": "邮箱"}, "type": "email"},
        {"key": "notes", "label": {"en": "Notes", "zh": "备注"}, "type": "long_text"},
        {"key": "cost", "label": {"en": "Cost", "zh": "成本"}, "type": "money", "currency": "CNY"},
    ],
    "permissions": [
        {"roles": ["staff"], "actions": ["read", "create", "update", "import", "export"], "fields": FIELDS},
        {"users": ["reader"], "actions": ["read", "export"], "fields": FIELDS},
    ],
}


@pytest.fixture
def items_api(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("reader", roles=())
    response = api.post("modeler", "/api/v1/record-types", json=ITEM)
    assert response.status_code == 201, response.get_json()
    return api


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], path: Path) -> bytes:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Items")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if hasattr(value, "year"):
                sheet.write_datetime(r, c, value, date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path.read_bytes()


def upload(api: Any, content: bytes, name: str = "items.csv", who: str = "sam", type_key: str = "item",
           **options: Any) -> Any:
    data = {"file": (io.BytesIO(content), name), "options": json.dumps(options)}
    return api.client.post(f"/api/v1/records/{type_key}/imports", headers=api.headers(who), data=data,
                           content_type="multipart/form-data")


def finished(api: Any, import_id: str, who: str = "sam") -> dict[str, Any]:
    run_due_jobs(api.app)
    body = api.get(who, f"/api/v1/imports/{import_id}").get_json()
    return body


def records(api: Any, who: str = "sam", **params: Any) -> list[dict[str, Any]]:
    response = api.get(who, "/api/v1/records/item", query_string={"pageSize": 200, "sort": "id", **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]
