"""The plain checks of simple property schemas (server/records/value_checks.py) never pass a value the
JSON Schema validator refuses, and recognise the schemas record types draw."""

from __future__ import annotations

from typing import Any

import pytest

from server.forms.validation import _FORMAT_CHECKER, property_checks
from server.records.definition import json_schema, read_definition
from server.records.value_checks import quick_check

DEFINITION = read_definition({"key": "thing", "name": {"en": "Thing", "zh": "东西"}, "fields": [
    {"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text", "validation": {"minLength": 2,
                                                                                        "maxLength": 5,
                                                                                        "pattern": "^[A-Z]"}},
    {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"},
    {"key": "qty", "label": {"en": "Qty", "zh": "数量"}, "type": "integer", "validation": {"min": 0, "max": 10}},
    {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currency": "CNY"},
    {"key": "status", "label": {"en": "Status", "zh": "状态"}, "type": "select",
     "options": [{"value": "open", "label": {"en": "Open", "zh": "打开"}}]},
    {"key": "active", "label": {"en": "Active", "zh": "启用"}, "type": "boolean"},
    {"key": "email", "label": {"en": "Email", "zh": "邮箱"}, "type": "email"},
    {"key": "since", "label": {"en": "Since", "zh": "日期"}, "type": "date"},
]})
VALUES: list[Any] = ["", "A", "AB", "ABCDE", "ABCDEF", "ab", "Ab中", "中文字符", "x" * 256, "open", "Open", "closed",
                     0, 1, 10, 11, -1, 5.0, 2.5, True, False, None, [], {}, "12.50", "1.234", "a@b.cn", "2026-01-02",
                     "not a date", 2 ** 60]


@pytest.mark.parametrize("key", [f["key"] for f in DEFINITION["fields"]])
def test_a_quick_pass_is_a_schema_pass(key: str) -> None:
    schema = json_schema(DEFINITION, [f["key"] for f in DEFINITION["fields"]])
    slow = property_checks(schema)[key]
    quick = quick_check(schema["properties"][key])
    if quick is None:
        return
    for value in VALUES:
        if quick(value):
            assert slow(value), (key, value)


def test_the_simple_schemas_are_recognised_and_the_others_left_alone() -> None:
    schema = json_schema(DEFINITION, [f["key"] for f in DEFINITION["fields"]])
    quick = {k: quick_check(p) for k, p in schema["properties"].items()}
    assert {k for k, check in quick.items() if check is not None} == {"code", "name", "qty", "status", "active",
                                                                       "price"}
    assert quick["code"]("ABC") and not quick["code"]("abc") and not quick["code"]("A")
    assert quick["qty"](3) and not quick["qty"](11) and not quick["qty"](True) and not quick["qty"](5.0)
    assert quick["status"]("open") and not quick["status"]("Open")
    assert quick["active"](False) and not quick["active"](0)
    assert quick_check({"type": "string", "format": "email"}) is None
    assert quick["price"]("12.50") and not quick["price"]("1.234")
    assert "decimal" not in _FORMAT_CHECKER.checkers  # so format decimal asserts nothing jsonschema would check
    assert quick_check({"type": "string", "maxLength": 3, "readOnly": True}) is None
