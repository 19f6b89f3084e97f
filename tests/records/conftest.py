"""Record-type fixtures: a contract type with every field kind this slice supports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

# Staff never see `margin` (hidden), and may not change `number` once set (read-only on update).
STAFF_FIELDS = ["title", "notes", "seats", "rate", "amount", "signed", "signed_on", "reminder", "region", "lines",
                "email", "site", "number"]
CONTRACT: dict[str, Any] = {
    "key": "contract",
    "name": {"en": "Contract", "zh": "合同"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True,
         "validation": {"maxLength": 80}},
        {"key": "notes", "label": {"en": "Notes", "zh": "备注"}, "type": "long_text", "list": False},
        {"key": "seats", "label": {"en": "Seats", "zh": "座位"}, "type": "integer",
         "validation": {"min": 1, "max": 500}},
        {"key": "rate", "label": {"en": "Rate", "zh": "费率"}, "type": "decimal", "scale": 3},
        {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "money", "currency": "CNY",
         "validation": {"min": "0"}, "default": "0.00"},
        {"key": "signed", "label": {"en": "Signed", "zh": "已签"}, "type": "boolean"},
        {"key": "signed_on", "label": {"en": "Signed on", "zh": "签订日期"}, "type": "date"},
        {"key": "reminder", "label": {"en": "Reminder", "zh": "提醒"}, "type": "datetime"},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": "north", "label": {"en": "North", "zh": "北区"}},
                     {"value": "south", "label": {"en": "South", "zh": "南区"}}]},
        {"key": "lines", "label": {"en": "Product lines", "zh": "产品线"}, "type": "multi_select",
         "options": [{"value": "sofa", "label": {"en": "Sofa", "zh": "沙发"}},
                     {"value": "table", "label": {"en": "Table", "zh": "桌子"}}]},
        {"key": "email", "label": {"en": "Email", "zh": "邮箱"}, "type": "email"},
        {"key": "site", "label": {"en": "Web site", "zh": "网站"}, "type": "url"},
        {"key": "number", "label": {"en": "Number", "zh": "编号"}, "type": "text", "unique": True},
        {"key": "margin", "label": {"en": "Margin", "zh": "毛利"}, "type": "decimal"},
    ],
    "permissions": [
        {"roles": ["staff"], "actions": ["read", "create", "delete", "bulk"], "fields": STAFF_FIELDS},
        {"roles": ["staff"], "actions": ["update"], "fields": [f for f in STAFF_FIELDS if f != "number"]},
        {"groups": ["sales"], "actions": ["read"], "fields": ["title", "region", "amount"],
         "rows": {"kind": "own", "field": "created_by"}},
    ],
}


def contract() -> dict[str, Any]:
    return copy.deepcopy(CONTRACT)


@pytest.fixture
def records_api(api: Any) -> Any:
    """The API client with the contract type saved and a staff user 'sam'."""
    api.user("sam", roles=("staff",))
    api.user("sally", roles=(), groups=("sales",))
    response = api.post("modeler", "/api/v1/record-types", json=contract())
    assert response.status_code == 201, response.get_json()
    return api


def create(api: Any, who: str, **fields: Any) -> Any:
    return api.post(who, "/api/v1/records/contract", json={"fields": fields})
