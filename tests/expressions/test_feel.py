from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from server.expressions import FeelError, UnaryTests, compile_unary_tests, parse_literal, parse_literal_list


def _matches(text: str | None, value: Any) -> bool:
    tests = compile_unary_tests(text)
    assert isinstance(tests, UnaryTests)
    return tests.matches(value)


@pytest.mark.parametrize("text", [None, "", "   ", "-", " - "])
@pytest.mark.parametrize("value", [None, 0, "x", True, [1], {"a": 1}])
def test_any(text: str | None, value: Any) -> None:
    assert _matches(text, value)


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("5000", 5000, True),
        ("5000", 5000.0, True),
        ("5000", Decimal("5000"), True),
        ("5000", 4999, False),
        ("5000", "5000", False),  # no string/number coercion
        ("-3.5", -3.5, True),
        ("-3.5", 3.5, False),
        ("0", False, False),  # bool is not a number
        ("1", True, False),
        ('"gold"', "gold", True),
        ('"gold"', "Gold", False),
        ('"gold"', None, False),
        ('""', "", True),
        ('"say \\"hi\\""', 'say "hi"', True),
        ('"a\\nb"', "a\nb", True),
        ('"\\u00e9"', "é", True),
        ("true", True, True),
        ("true", 1, False),
        ("true", "true", False),
        ("false", False, True),
        ("false", 0, False),
        ("false", None, False),
        ("null", None, True),
        ("null", 0, False),
        ("null", "", False),
    ],
)
def test_literals(text: str, value: Any, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("< 5000", 4999, True),
        ("< 5000", 5000, False),
        ("<5000", 4999.5, True),
        ("<= 5000", 5000, True),
        ("<= 5000", 5000.01, False),
        ("> 18", 19, True),
        ("> 18", 18, False),
        (">= 18", 18, True),
        (">= 18", 17.99, False),
        ("= 5", 5, True),
        ("= 5", 6, False),
        ("= null", None, True),
        ("!= null", 5, True),
        ("!= null", None, False),
        ('!= "x"', "y", True),
        ('!= "x"', "x", False),
        ('!= "x"', 5, False),  # incompatible types never match
        ('!= "x"', None, True),  # null equality is defined for every type
        ("!= 5", 5.0, False),
        ("!= true", False, True),
        ("< 5", "4", False),
        ("< 5", None, False),
        ("< 5", True, False),
        ('< "m"', "apple", True),
        ('< "m"', "zebra", False),
        ("> -1", 0, True),
    ],
)
def test_comparisons(text: str, value: Any, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("[1000..5000]", 1000, True),
        ("[1000..5000]", 5000, True),
        ("[1000..5000]", 3000.5, True),
        ("[1000..5000]", 999, False),
        ("[1000..5000]", 5001, False),
        ("]0..10)", 0, False),
        ("]0..10)", 0.001, True),
        ("]0..10)", 10, False),
        ("]0..10)", 9, True),
        ("(0..10[", 0, False),
        ("(0..10[", 10, False),
        ("(0..10[", 5, True),
        ("[1..10[", 1, True),
        ("[1..10[", 10, False),
        ("[1..10]", 10, True),
        ("[ 1 .. 10 ]", 10, True),
        ("[-5..-1]", -3, True),
        ("[1.5..2.5]", 2, True),
        ("[1..10]", "5", False),
        ("[1..10]", None, False),
        ("[1..10]", True, False),
        ('["a".."m"]', "dog", True),
        ('["a".."m"]', "zoo", False),
        ("[10..1]", 5, False),
    ],
)
def test_ranges(text: str, value: Any, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ('"a","b"', "a", True),
        ('"a","b"', "b", True),
        ('"a", "b"', "c", False),
        ('"a,b", "c"', "a,b", True),
        ('"a,b", "c"', "a", False),
        ("1, 2, [5..7]", 2, True),
        ("1, 2, [5..7]", 6, True),
        ("1, 2, [5..7]", 4, False),
        ("< 0, > 100", 101, True),
        ("< 0, > 100", 50, False),
        ('"x", 1', 1, True),
        ('"x", 1', "1", False),
        ('not("a","b")', "c", True),
        ('not("a","b")', "a", False),
        ('not( "a" , "b" )', "b", False),
        ("not(< 5)", 3, False),
        ("not(< 5)", 5, True),
        ("not([1..3], 7)", 7, False),
        ("not([1..3], 7)", 4, True),
        ("not(null)", None, False),
        ("not(null)", 1, True),
    ],
)
def test_lists_and_negation(text: str, value: Any, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ('date("2024-01-31")', "2024-01-31", True),
        ('date("2024-01-31")', date(2024, 1, 31), True),
        ('date("2024-01-31")', datetime(2024, 1, 31, 9, 30), True),
        ('date("2024-01-31")', "2024-01-31T09:30:00Z", True),
        ('date("2024-01-31")', "2024-02-01", False),
        ('date("2024-01-31")', "not a date", False),
        ('date("2024-01-31")', 20240131, False),
        ('date("2024-01-31")', None, False),
        ('>= date("2024-01-01")', "2024-01-01", True),
        ('>= date("2024-01-01")', "2023-12-31", False),
        ('>= date("2024-01-01")', date(2025, 6, 1), True),
        ('< date("2024-01-01")', "2023-12-31", True),
        ('[date("2024-01-01")..date("2024-12-31")]', "2024-06-15", True),
        ('[date("2024-01-01")..date("2024-12-31")]', "2024-12-31", True),
        ('[date("2024-01-01")..date("2024-12-31")[', "2024-12-31", False),
        ('[date("2024-01-01")..date("2024-12-31")]', "2025-01-01", False),
        ('[date("2024-01-01")..date("2024-12-31")]', date(2024, 3, 3), True),
        ('date("2024-01-01"), date("2024-12-25")', "2024-12-25", True),
        ('not(date("2024-01-01"))', "2024-01-02", True),
        ('"2024-01-31"', date(2024, 1, 31), False),  # a plain string is not a date literal
    ],
)
def test_dates(text: str, value: Any, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    "text",
    [
        "<",
        "< ",
        "foo",
        "> limit",
        '"abc',
        "1 2",
        "not(1",
        "not 1",
        "[1..5",
        "[1..5}",
        "[1 5]",
        '[1.."a"]',
        "[null..5]",
        "< null",
        "> true",
        "1,",
        ",1",
        '"\\q"',
        'date("2024-13-01")',
        "date(2024)",
        "- 5",
        "--",
        "5 & 6",
        "1 + 2",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FeelError) as info:
        compile_unary_tests(text)
    assert str(info.value).startswith(f"cannot read input entry '{text}': ")


def test_error_mentions_variables() -> None:
    with pytest.raises(FeelError, match="cannot use variables"):
        compile_unary_tests("> minimum")


def test_compile_is_cached() -> None:
    assert compile_unary_tests("[1..5]") is compile_unary_tests("[1..5]")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5000", (True, 5000)),
        (" -3.5 ", (True, -3.5)),
        ('"gold"', (True, "gold")),
        ('"a, b"', (True, "a, b")),
        ('"say \\"hi\\""', (True, 'say "hi"')),
        ("true", (True, True)),
        ("false", (True, False)),
        ("null", (True, None)),
        ('date("2024-01-31")', (True, "2024-01-31")),
        ("", (False, None)),
        ("-", (False, None)),
        ("amount * 2", (False, None)),
        ("gold", (False, None)),
        ('"a", "b"', (False, None)),
        ("< 5", (False, None)),
        ("[1..2]", (False, None)),
        ('"unterminated', (False, None)),
        ('date("nope")', (False, None)),
    ],
)
def test_parse_literal(text: str, expected: tuple[bool, Any]) -> None:
    result = parse_literal(text)
    assert result == expected
    assert type(result[1]) is type(expected[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"high","medium","low"', ("high", "medium", "low")),
        (' "a" , 1, true, null ', ("a", 1, True, None)),
        ('date("2024-01-31")', ("2024-01-31",)),
        ("1..2", None),
        ('"a" "b"', None),
        ("< 5", None),
        ("high, low", None),
        ("", None),
    ],
)
def test_parse_literal_list(text: str, expected: tuple[object, ...] | None) -> None:
    assert parse_literal_list(text) == expected
