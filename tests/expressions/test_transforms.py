"""The transforms the filter subset shares with Python evaluation: text tests and date arithmetic."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from server.expressions import ExpressionError, evaluate

NOW = datetime(2026, 12, 1, 9, 30)


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("s|contains('ür')", {"s": "Zürich"}, True),
        ("s|contains('UR')", {"s": "Zürich"}, False),  # case-sensitive, as in SQL
        ("s|contains('')", {"s": "x"}, True),
        ("s|contains('a')", {"s": None}, False),  # an empty optional field contains nothing
        ("tags|contains('vip')", {"tags": ["new", "vip"]}, True),
        ("s|startsWith('中')", {"s": "中文"}, True),
        ("s|startsWith('文')", {"s": "中文"}, False),
        ("s|startsWith('a')", {"s": None}, False),
        ("s|endsWith('😀')", {"s": "a😀"}, True),
        ("s|endsWith('a')", {"s": None}, False),
        ("now|addDays(2)", {"now": NOW}, datetime(2026, 12, 3, 9, 30)),
        ("now|addDays(-15)", {"now": NOW}, datetime(2026, 11, 16, 9, 30)),
        ("now|addHours(36)", {"now": NOW}, datetime(2026, 12, 2, 21, 30)),
        ("now|addMinutes(-30)", {"now": NOW}, datetime(2026, 12, 1, 9, 0)),
        ("now|date", {"now": NOW}, date(2026, 12, 1)),
        ("now|date|addDays(1)", {"now": NOW}, date(2026, 12, 2)),
        ("d|date", {"d": "2026-02-03T10:00:00Z"}, date(2026, 2, 3)),
        ("d|addDays(1)", {"d": None}, None),
        ("due < now|addDays(2)", {"due": datetime(2026, 12, 2), "now": NOW}, True),
    ],
)
def test_transforms(text: str, context: dict[str, Any], expected: Any) -> None:
    assert evaluate(text, context) == expected


@pytest.mark.parametrize(
    ("text", "context", "fragment"),
    [
        ("s|contains(1)", {"s": "x"}, "expects a string argument, got number"),
        ("n|startsWith('a')", {"n": 5}, "expects a string, got number"),
        ("d|addDays('x')", {"d": NOW}, "expects a number of days, got string"),
        ("d|addHours(1)", {"d": date(2026, 1, 1)}, "expects a date-time, got date"),
        ("s|addDays(1)", {"s": "2026-01-01"}, "expects a date or date-time, got string"),
        ("s|date", {"s": "soon"}, "cannot read 'soon' as a date"),
    ],
)
def test_transform_errors(text: str, context: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(text, context)
    assert fragment in str(info.value)
