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


def _full(validator: Any, values: dict[str, Any], creating: bool, visible: frozenset[str]) -> Any:
    """What ``validate`` answers without its plain path: the column values or the FormInvalid's fields."""
    from server.errors import FormInvalid

    plain, validator.plain = validator.plain, lambda *a, **k: None
    try:
        return validator.validate(values, creating=creating, visible=visible)
    except FormInvalid as exc:
        return exc.details.get("fields")
    finally:
        validator.plain = plain


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_plain_path_answers_as_validate_does_or_leaves_the_record_to_it(value: Any) -> None:
    """RecordValidator.plain (memoized per value, tried first by validate) returns exactly what validate would,
    or None; asked twice (the memo), it answers the same."""
    from server.records.values import RecordValidator

    validator = RecordValidator(DEFINITION)
    visible = frozenset(f["key"] for f in DEFINITION["fields"])
    for key in visible:
        for creating in (True, False):
            values = {"code": "AB", key: value}
            expected = _full(validator, values, creating, visible)
            for _ in range(2):
                plain = validator.plain(values, creating=creating, visible=visible)
                assert plain is None or plain == expected, (key, value, plain, expected)


def test_the_plain_path_takes_the_plain_records() -> None:
    from server.records.values import RecordValidator

    validator = RecordValidator(DEFINITION)
    visible = frozenset(f["key"] for f in DEFINITION["fields"])
    values = {"code": "AB", "qty": 3, "price": "12.50", "status": "open", "since": "2026-01-02", "name": None}
    assert validator.plain(values, creating=True, visible=visible) == _full(validator, values, True, visible)
    assert validator.plain({**values, "qty": 11}, creating=True, visible=visible) is None  # the max
    assert validator.plain({**values, "price": "1.234"}, creating=True, visible=visible) is None  # the scale
    assert validator.plain({**values, "nope": 1}, creating=True, visible=visible) is None  # no such field
    assert validator.plain(values, creating=True, visible=visible - {"qty"}) is None  # a hidden one


def test_the_json_writer_tells_minus_zero_from_zero() -> None:
    """JsonWriter (the batch's audit values) remembers each value's JSON; Decimal('-0') == Decimal('0') and
    hashes alike, yet to_json writes them differently: each row's JSON is what to_json gives it."""
    from decimal import Decimal

    from server.records.values import JsonWriter, to_json

    definition = read_definition({"key": "amounts", "name": {"en": "A", "zh": "甲"}, "fields": [
        {"key": "dec", "label": {"en": "Dec", "zh": "数"}, "type": "decimal", "scale": 2}]})
    writer = JsonWriter(definition)
    for value in (Decimal("0"), Decimal("-0"), Decimal("0.0"), Decimal("-0.00"), Decimal("1"), Decimal("1.0")):
        row = {"dec": value}
        assert writer(row) == to_json(definition, row, frozenset(row)), value


def test_a_default_of_a_field_the_caller_cannot_see_is_written_whatever_the_other_values() -> None:
    """A create fills the defaults, also of fields the caller may not see (their values are the designer's):
    the plain path did, and the full one (a value that is not plain: non-ASCII text, a float) refused the
    record naming the hidden field — one answer for both now."""
    from server.records.values import RecordValidator

    definition = read_definition({"key": "memo", "name": {"en": "Memo", "zh": "备忘"}, "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text"},
        {"key": "level", "label": {"en": "Level", "zh": "级别"}, "type": "text", "default": "normal"}]})
    validator = RecordValidator(definition)
    visible = frozenset({"title"})
    for title in ("plain", "中文标题"):
        expected = {"title": title, "level": "normal"}
        assert _full(validator, {"title": title}, True, visible) == expected, title
        assert validator.validate({"title": title}, creating=True, visible=visible) == expected, title
    assert _full(validator, {"title": "x", "level": "high"}, True, visible) == {
        "level": _full(validator, {"nope": 1}, True, visible)["nope"]}  # given by the caller: still unknown
