"""Each conversion rule, cell by cell (no database: these run once, not per database)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from server.records.imports.convert import CellError, Context, convert

SELECT = {"key": "s", "type": "select", "options": [{"value": "open", "label": {"en": "Open", "zh": "打开"}}]}
CTX = Context(users={"sam": "sam", "sam smith": "sam", "张三": "zhang"})


@pytest.mark.parametrize(("field", "raw", "expected"), [
    ({"type": "integer"}, "1,234", 1234),
    ({"type": "integer"}, 12.0, 12),
    ({"type": "integer"}, " 7 ", 7),
    ({"type": "money"}, "¥1,234.5", "1234.50"),
    ({"type": "money"}, "CNY 10", "10.00"),
    ({"type": "money", "currency": "CNY"}, "CNY 10", "10.00"),
    ({"type": "money", "currency": "CNY"}, "¥10", "10.00"),
    ({"type": "money", "currency": "USD"}, "$10", "10.00"),
    ({"type": "money"}, "(1,000.00)", "-1000.00"),
    ({"type": "money"}, "100元", "100.00"),
    ({"type": "money"}, 0.1 + 0.2, "0.30"),
    ({"type": "decimal", "scale": 4}, "12.5%", "0.1250"),
    ({"type": "boolean"}, "是", True),
    ({"type": "boolean"}, "否", False),
    ({"type": "boolean"}, "Y", True),
    ({"type": "boolean"}, "0", False),
    ({"type": "boolean"}, 1, True),
    ({"type": "date"}, 46086, "2026-03-05"),
    ({"type": "date"}, "46086", "2026-03-05"),
    ({"type": "date"}, "2026-03-05", "2026-03-05"),
    ({"type": "date"}, "2026/3/5", "2026-03-05"),
    ({"type": "date"}, "2026.3.5", "2026-03-05"),
    ({"type": "date"}, "2026年3月5日", "2026-03-05"),
    ({"type": "date"}, date(2026, 3, 5), "2026-03-05"),
    ({"type": "date"}, datetime(2026, 3, 5), "2026-03-05"),
    ({"type": "datetime"}, "2026-03-05 14:30", "2026-03-05T14:30:00Z"),
    ({"type": "datetime"}, "2026年3月5日 14:30", "2026-03-05T14:30:00Z"),
    ({"type": "datetime"}, "2026-03-05T14:30:00+08:00", "2026-03-05T06:30:00Z"),
    ({"type": "datetime"}, 46086.5, "2026-03-05T12:00:00Z"),
    (SELECT, "open", "open"),
    (SELECT, "OPEN", "open"),
    (SELECT, "打开", "open"),
    ({**SELECT, "type": "multi_select"}, "Open、打开", ["open"]),
    ({"type": "text"}, 12.0, "12"),
    ({"type": "text"}, 3.25, "3.25"),
    ({"type": "user"}, "Sam Smith", "sam"),
    ({"type": "user"}, "张三", "zhang"),
    ({"type": "text"}, "  ", None),
])
def test_a_cell_converts(field: dict[str, Any], raw: Any, expected: Any) -> None:
    assert convert({"key": "f", **field}, raw, CTX) == expected


@pytest.mark.parametrize(("field", "raw", "words"), [
    ({"type": "integer"}, "1.5", "not a whole number"),
    ({"type": "integer"}, "many", "not a number"),
    ({"type": "money"}, "1.234", "more than 2 decimal places"),
    # A cell in another currency than the field's is refused, not imported as that many of the field's.
    ({"type": "money", "currency": "CNY"}, "USD 100", "not in CNY"),
    ({"type": "money", "currency": "CNY"}, "100 usd", "not in CNY"),
    ({"type": "money", "currency": "CNY"}, "$100", "not in CNY"),
    ({"type": "money", "currency": "CNY"}, "(€1,200.00)", "not in CNY"),
    ({"type": "money", "currency": "USD"}, "100元", "not in USD"),
    ({"type": "boolean"}, "maybe", "not yes or no"),
    ({"type": "date"}, "2026-02-30", "not a date on the calendar"),
    ({"type": "date"}, "next week", "not a date"),
    ({"type": "date"}, 46086.5, "time of day"),
    ({"type": "datetime"}, "2026-03-05 25:00", "not a time of day"),
    (SELECT, "shut", "not one of the options (Open)"),
    ({"type": "user"}, "nobody", "no active user 'nobody'"),
])
def test_a_bad_cell_says_why(field: dict[str, Any], raw: Any, words: str) -> None:
    with pytest.raises(CellError, match=words.replace("(", r"\(").replace(")", r"\)")):
        convert({"key": "f", **field}, raw, CTX)


@pytest.mark.parametrize("field", [{"key": "t", "type": "text"}, {"key": "d", "type": "decimal", "scale": 2},
                                   {**SELECT, "key": "m", "type": "multi_select"}])
def test_a_column_converter_answers_each_cell_as_convert_does(field: dict[str, Any]) -> None:
    """column_converter remembers each cell's result per column: cells that are equal and hash alike but
    convert differently (0.0 and -0.0; 1, 1.0 and True) each get their own, and a list given out for one row
    is that row's to change."""
    from server.records.imports.convert import column_converter

    run = column_converter(field, CTX)
    for _ in range(2):
        for raw in (0.0, -0.0, 0, False, 1, 1.0, True, "open", "Open、打开"):
            try:
                expected: Any = convert(field, raw, CTX)
            except CellError as exc:
                expected = ("error", str(exc))
            try:
                got: Any = run(raw)
            except CellError as exc:
                got = ("error", str(exc))
            assert (type(got), got) == (type(expected), expected), (raw, got, expected)
            if isinstance(got, list):
                got.append("changed")
