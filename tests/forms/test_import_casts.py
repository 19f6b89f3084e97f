"""Spreadsheet cells as field values (FieldType.cast): what calamine and openpyxl give, and what people type."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.forms import registry
from server.forms.registry import CastError
from server.forms.validation import english

INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
BOOLEAN = {"type": "boolean"}
TEXT = {"type": "string"}
CHOICE = {"type": "string", "enum": ["low", "high"], "x-enumNames": ["Low", "高"]}
LEVEL = {"type": "integer", "enum": [1, 2, 3]}
COLOURS = {"type": "array", "items": {"type": "string", "enum": ["red", "green"], "x-enumNames": ["红", "绿"]}}


def cast(prop: dict[str, Any], cell: Any, **kw: Any) -> Any:
    return registry.of(prop).cast(prop, cell, **kw)


def refused(prop: dict[str, Any], cell: Any) -> str:
    with pytest.raises(CastError) as info:
        cast(prop, cell)
    return info.value.code


@pytest.mark.parametrize("prop", [INTEGER, NUMBER, DATE, DATETIME, BOOLEAN, TEXT, CHOICE, COLOURS])
@pytest.mark.parametrize("cell", ["", "   ", None])
def test_an_empty_cell_is_no_value(prop: dict[str, Any], cell: Any) -> None:
    assert cast(prop, cell) is None


@pytest.mark.parametrize(("cell", "value"), [
    (42.0, 42), (42, 42), ("42", 42), ("1,234", 1234), ("1,234,567", 1234567), ("1 234", 1234),
    ("１２３", 123), ("1，234", 1234), ("-7", -7), ("1,234.00", 1234), ("3e3", 3000),
])
def test_integers(cell: Any, value: int) -> None:
    result = cast(INTEGER, cell)
    assert result == value and type(result) is int


@pytest.mark.parametrize("cell", [4.5, "4.5", "1,5", "12,34", "lots", True, date(2026, 3, 5), "1.234.567"])
def test_what_is_no_integer_is_refused(cell: Any) -> None:
    assert refused(INTEGER, cell) == "cast_integer"


@pytest.mark.parametrize(("cell", "value"), [(4.5, 4.5), ("1,234.5", 1234.5), ("0.25", 0.25), (3, 3),
                                             ("-1e-3", -0.001)])
def test_numbers(cell: Any, value: float) -> None:
    assert cast(NUMBER, cell) == value


def test_a_decimal_comma_is_not_taken_for_a_thousands_separator() -> None:
    assert refused(NUMBER, "1,5") == "cast_number"


@pytest.mark.parametrize(("cell", "value"), [
    (date(2026, 3, 5), "2026-03-05"),  # calamine: a midnight datetime comes as a date
    (datetime(2026, 3, 5), "2026-03-05"),  # openpyxl: midnight as a datetime
    (46086.0, "2026-03-05"), (46086, "2026-03-05"),  # Excel serial dates
    ("2026-03-05", "2026-03-05"), ("2026/3/5", "2026-03-05"), ("2026.3.5", "2026-03-05"),
    ("2026-3-5", "2026-03-05"), ("2026年3月5日", "2026-03-05"), ("2026年03月05号", "2026-03-05"),
    ("２０２６年３月５日", "2026-03-05"), ("05/03/2026", "2026-03-05"), ("2026-03-05 00:00:00", "2026-03-05"),
])
def test_dates(cell: Any, value: str) -> None:
    assert cast(DATE, cell) == value


@pytest.mark.parametrize("cell", ["2026/2/30", "soon", datetime(2026, 3, 5, 14, 30), 46086.5, True, "2026年13月1日"])
def test_what_is_no_date_is_refused(cell: Any) -> None:
    # A time of day in a date column would be lost without a word: refused, not cut off.
    assert refused(DATE, cell) == "cast_date"


@pytest.mark.parametrize(("cell", "value"), [
    (datetime(2026, 3, 5, 14, 30), "2026-03-05T14:30:00Z"),
    (date(2026, 3, 5), "2026-03-05T00:00:00Z"),
    (46086.6041666667, "2026-03-05T14:30:00Z"),
    ("2026/3/5 14:30", "2026-03-05T14:30:00Z"),
    ("2026年3月5日 14:30:15", "2026-03-05T14:30:15Z"),
    ("2026年3月5日14时30分", "2026-03-05T14:30:00Z"),
    ("2026-03-05T14:30:00+08:00", "2026-03-05T06:30:00Z"),
    ("2026-03-05T14:30:00Z", "2026-03-05T14:30:00Z"),
])
def test_date_times_without_a_zone_are_utc_by_default(cell: Any, value: str) -> None:
    assert cast(DATETIME, cell) == value


def test_wall_times_are_read_in_the_zone_the_import_names() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert cast(DATETIME, datetime(2026, 3, 5, 14, 30), zone=shanghai) == "2026-03-05T06:30:00Z"
    assert cast(DATETIME, "2026/3/5 8:00", zone=timezone(timedelta(hours=-5))) == "2026-03-05T13:00:00Z"
    # An instant that says its zone keeps it.
    assert cast(DATETIME, "2026-03-05T14:30:00Z", zone=shanghai) == "2026-03-05T14:30:00Z"
    assert cast(DATE, datetime(2026, 3, 5, 0, 0, tzinfo=shanghai), zone=shanghai) == "2026-03-05"


@pytest.mark.parametrize(("cell", "value"), [
    (True, True), (False, False), (1, True), (0.0, False), ("是", True), ("否", False), ("Y", True), ("n", False),
    ("yes", True), ("NO", False), ("1", True), ("0", False), ("true", True), ("False", False), ("√", True),
    ("×", False), ("Ｙ", True),
])
def test_booleans(cell: Any, value: bool) -> None:
    assert cast(BOOLEAN, cell) is value


@pytest.mark.parametrize("cell", ["maybe", 2, 0.5, "是的吧"])
def test_what_is_no_yes_or_no_is_refused(cell: Any) -> None:
    assert refused(BOOLEAN, cell) == "cast_boolean"


@pytest.mark.parametrize(("cell", "value"), [
    ("plain", "plain"), ("  padded  ", "padded"), (123.0, "123"), (1.5, "1.5"), (7, "7"),
    (date(2026, 3, 5), "2026-03-05"), (datetime(2026, 3, 5, 9, 15), "2026-03-05T09:15:00"), (True, "true"),
])
def test_text_is_what_the_cell_shows(cell: Any, value: str) -> None:
    assert cast(TEXT, cell) == value


def test_choices_by_value_or_by_the_name_people_see() -> None:
    assert cast(CHOICE, "low") == "low"
    assert cast(CHOICE, "高") == "high"
    assert cast(CHOICE, "LOW") == "low"  # the shown name, case-folded
    assert cast(LEVEL, 2.0) == 2 and type(cast(LEVEL, 2.0)) is int
    assert cast(LEVEL, "3") == 3
    with pytest.raises(CastError) as info:
        cast(CHOICE, "medium")
    assert info.value.code == "cast_choice" and info.value.params["options"] == ["low", "high"]


def test_several_choices_in_one_cell() -> None:
    assert cast(COLOURS, "红, 绿") == ["red", "green"]
    assert cast(COLOURS, "green;red;green") == ["green", "red"]
    assert cast(COLOURS, "红、绿") == ["red", "green"]
    assert refused(COLOURS, "red, blue") == "cast_choice"


def test_files_and_rows_cannot_come_from_a_cell() -> None:
    assert refused({"type": "string", "format": "data-url"}, "report.pdf") == "cast_unsupported"
    rows = {"type": "array", "items": {"type": "object", "properties": {"q": {"type": "integer"}}}}
    assert refused(rows, "1, 2") == "cast_unsupported"


def test_a_row_is_cast_field_by_field_and_every_problem_is_named() -> None:
    schema = {"type": "object", "properties": {"qty": INTEGER, "due": DATE, "ok": BOOLEAN, "note": TEXT}}
    problems: list[tuple[str, str]] = []
    values = registry.cast_values(schema, {"qty": "1,200", "due": "2026年3月5日", "ok": "是", "note": "",
                                           "extra": "x"}, on_error=lambda f, e: problems.append((f, e.code)))
    assert values == {"qty": 1200, "due": "2026-03-05", "ok": True}
    assert problems == [("extra", "unknown_field")]  # a column that is no field is not dropped silently
    bad: list[tuple[str, str]] = []
    registry.cast_values(schema, {"qty": "many", "due": "2026/2/30"}, on_error=lambda f, e: bad.append((f, e.code)))
    assert bad == [("qty", "cast_integer"), ("due", "cast_date")]


@pytest.mark.parametrize("code", ["cast_integer", "cast_number", "cast_date", "cast_datetime", "cast_boolean",
                                  "cast_choice", "cast_unsupported"])
def test_every_cast_code_has_an_english_text(code: str) -> None:
    text = english(code, {"value": "x", "options": ["a", "b"], "type": "file"})
    assert text and text != "is not valid"
