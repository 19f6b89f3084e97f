"""compile_filter against Python evaluation: on generated rows in a real table, SQLite and PostgreSQL
must select exactly the rows filter_matches accepts — nulls, errors, non-ASCII text and dates included."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)
from sqlalchemy.engine import Engine

from server.expressions import (
    ExpressionError,
    ExpressionLimitError,
    FilterError,
    UnknownNameError,
    compile_filter,
    filter_matches,
)

NOW = datetime(2026, 12, 1, 9, 30, 0)
TEXTS = ["", "a", "A", "b", "ab", "abc", "B", "é", "É", "Zürich", "zurich", "中文", "中", "😀", "a😀b", "%", "a_b",
         "O'Brien", " x", "x ", "aa", "ba"]

# On PostgreSQL the text column sorts like a user's locale (ICU English: 'a' < 'B' < 'b'), as in a
# database created with en_US; the filter must still order by code point, as Python does.
LOCALE_TEXT = String(200).with_variant(String(200, collation="en-x-icu"), "postgresql")
metadata = MetaData()
rows_table = Table(
    "filter_rows", metadata,
    Column("id", Integer, primary_key=True),
    Column("n", BigInteger), Column("x", Float), Column("s", LOCALE_TEXT), Column("t", DateTime),
    Column("d", Date), Column("b", Boolean), Column("j", JSON),
)
COLUMNS: dict[str, Any] = {c.name: c for c in rows_table.c if c.name not in ("id", "j")}
COLUMNS["j.n"] = rows_table.c.j["n"].as_integer()
COLUMNS["j.s"] = rows_table.c.j["s"].as_string()


def _rows(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rng.random() < 0.2 else value

    rows = []
    for i in range(1, count + 1):
        rows.append({
            "id": i,
            "n": maybe(rng.choice([-3, -1, 0, 1, 2, 5, 7, 12, 2**40])),
            "x": maybe(rng.choice([-1.5, 0.0, 0.5, 2.25, 7.0, 1e10])),
            "s": maybe(rng.choice(TEXTS) + (rng.choice(TEXTS) if rng.random() < 0.3 else "")),
            "t": maybe(NOW + timedelta(hours=rng.randint(-24 * 40, 24 * 40))),
            "d": maybe(NOW.date() + timedelta(days=rng.randint(-40, 40))),
            "b": maybe(rng.random() < 0.5),
            "j": {"n": maybe(rng.choice([-1, 0, 3, 5])), "s": maybe(rng.choice(TEXTS))},
        })
    return rows


ROWS = _rows(seed=20261201, count=240)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(rows_table.insert(), ROWS)
    yield engine
    engine.dispose()


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Generator:
    """Random filters inside the subset, built from atoms over every column kind."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def op(self, ordering: bool = True) -> str:
        return self.rng.choice(["==", "!=", "<", "<=", ">", ">="] if ordering else ["==", "!="])

    def atom(self) -> str:
        r = self.rng
        text = _quote(r.choice(TEXTS))
        number = str(r.choice([-2, 0, 1, 2, 5, 7, 12, 2.25, 0.5, 2**40]))
        choices = [
            lambda: f"n {self.op()} {number}",
            lambda: f"{number} {self.op()} n",
            lambda: f"x {self.op()} {number}",
            lambda: f"n {self.op()} x",
            lambda: f"n {self.op(False)} null",
            lambda: f"null {self.op(False)} s",
            lambda: f"n in [{number}, {r.choice(['null', '5', '2'])}]",
            lambda: f"s {self.op()} {text}",
            lambda: f"s|{r.choice(['contains', 'startsWith', 'endsWith'])}({text})",
            lambda: f"{text} in s",
            lambda: f"s in [{text}, {r.choice(['null', _quote('a')])}]",
            lambda: f"t {self.op()} now|{r.choice(['addDays', 'addHours'])}({r.randint(-30, 30)})",
            lambda: f"t {self.op()} now",
            lambda: f"d {self.op()} now|date|addDays({r.randint(-30, 30)})",
            lambda: "b",
            lambda: f"b {self.op(False)} {r.choice(['true', 'false'])}",
            lambda: r.choice(["n", "s", "x", "t", "d"]),
            lambda: f"j.n {self.op()} {r.choice([0, 3, 4])}",
            lambda: f"j.s {self.op()} s",
            lambda: f"j.n {self.op(False)} n",
            lambda: f"j.s|contains({text})",
            lambda: r.choice(["true", "false", "1 == 1", "n > 1 / 0", "2 ^ 3 == 8", "null"]),
        ]
        return r.choice(choices)()

    def expression(self, depth: int = 3) -> str:
        r = self.rng
        if depth == 0 or r.random() < 0.3:
            return self.atom()
        kind = r.random()
        if kind < 0.15:
            return f"{r.choice(['!', 'not '])}({self.expression(depth - 1)})"
        joiner = r.choice(["&&", "||", "and", "or"])
        return f"({self.expression(depth - 1)}) {joiner} ({self.expression(depth - 1)})"


HAND_WRITTEN = [
    "n != 5", "n == 5", "!(n == 5)", "n > 5", "!(n > 5)", "n > 5 || n <= 5", "!(n > 5 || n <= 5)",
    "n != null && n > 5", "n == null || n > 5", "!(n == null || n > 5)", "n > 5 && n == null",
    "!(n > 5 && n == null)", "!(n == null && n > 5)", "n in [1, 2, null]", "!(n in [1, 2])", "n in []",
    "x > 2 && x < 8", "n < x", "!(n < x)", "n == x", "n != x",
    "s == 'é'", "s < 'b'", "s >= 'Zürich'", "s > '中'", "s < '😀'", "!(s < 'b')",
    "s|contains('a')", "!s|contains('a')", "s|contains('%')", "s|contains('_')", "s|startsWith('A')",
    "s|startsWith('')", "s|endsWith('b')", "s|endsWith('😀b')", "!(s|endsWith('x '))", "'ür' in s",
    "!('a' in s)", "s in ['a', 'é', null]", "s", "!s", "s == null", "s != null", "s == ''",
    "t < now + 0 || t < now|addDays(2)", "t < now|addDays(-15)", "t >= now|addHours(-36) && t < now",
    "!(t < now|addDays(-15))", "d == now|date", "d > now|date|addDays(3)", "d <= now|date|addDays(-10)",
    "b", "!b", "b == true", "b != true", "b == false", "b == null",
    "j.n > 2", "!(j.n > 2)", "j.s == s", "j.s != s", "j.n == n", "j.s|startsWith('中')",
    "not (n > 5) and s|contains('a') or b", "true", "false", "!true", "null", "1 == 1 && n > 1",
    "n > 1 / 0", "!(n > 1 / 0)", "n > 1 / 0 || true", "true || n > 1 / 0", "false && n > 1 / 0",
    "n == null && n > 1", "n > 1 && s == null", "!(n > 1 && s < 'b')", "!(n > 1 || s < 'b')",
    "${n > 5}", "= s|contains('b')",
]


def _selected(engine: Engine, text: str) -> set[int]:
    clause = compile_filter(text, COLUMNS, now=NOW)
    with engine.connect() as conn:
        return set(conn.scalars(select(rows_table.c.id).where(clause)))


def _accepted(text: str) -> set[int]:
    return {row["id"] for row in ROWS if filter_matches(text, row, now=NOW)}


def test_hand_written_filters_agree_with_python(engine: Engine) -> None:
    for text in HAND_WRITTEN:
        assert _selected(engine, text) == _accepted(text), text


def test_generated_filters_agree_with_python(engine: Engine) -> None:
    generator = _Generator(seed=16)
    texts = {generator.expression() for _ in range(400)}
    nontrivial = 0
    for text in sorted(texts):
        expected = _accepted(text)
        assert _selected(engine, text) == expected, text
        nontrivial += 0 < len(expected) < len(ROWS)
    assert nontrivial > len(texts) // 3  # most filters split the rows, so agreement means something


def test_the_generated_rows_cover_every_case() -> None:
    for name in ("n", "x", "s", "t", "d", "b"):
        assert any(row[name] is None for row in ROWS) and any(row[name] is not None for row in ROWS)
    assert {"中文", "😀", "é", ""} <= {row["s"] for row in ROWS}


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("n * 2 > 4", "operator '*'"),
        ("n + 1", "operator '+'"),
        ("s|lower == 'a'", "transform 'lower'"),
        ("n > 1 ? b : false", "a conditional (a ? b : c)"),
        ("s == 5", "'==' between string and number"),
        ("n == '5'", "'==' between number and string"),
        ("d < now", "'<' between date and date-time"),
        ("b > false", "'>' on booleans"),
        ("b == 1", "'==' between boolean and number"),
        ("n in [1, 'a']", "'in' list"),
        ("n in s", "'in' operands"),
        ("s|contains(n)", "transform 'contains'"),
        ("n|contains('a')", "transform 'contains'"),
        ("(n > 1) == true", "a condition as a value"),
        ("n > 99999999999999999999", "number"),
        ("s == 'a\\u0000'", "NUL character"),
    ],
)
def test_unsupported_constructs_are_named(text: str, construct: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text, COLUMNS, now=NOW)
    assert info.value.construct == construct
    assert text in str(info.value) and info.value.expression == text
    assert isinstance(info.value, ExpressionError)


def test_unknown_names_are_named() -> None:
    with pytest.raises(UnknownNameError) as info:
        compile_filter("n > 1 && amount > 5", COLUMNS)
    assert info.value.name == "amount" and "'amount'" in str(info.value)
    with pytest.raises(UnknownNameError) as info:
        compile_filter("j.missing == 1", COLUMNS)
    assert info.value.name == "j.missing"


def test_a_column_without_a_comparable_type_is_refused() -> None:
    with pytest.raises(FilterError, match="field 'j' has a type filters cannot compare"):
        compile_filter("j == null", {"j": rows_table.c.j})


def test_syntax_errors_and_constant_limits_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="Syntax error"):
        compile_filter("n >", COLUMNS)
    with pytest.raises(ExpressionLimitError):
        compile_filter("n > 2 ^ 100000", COLUMNS)


def test_now_defaults_to_the_current_time() -> None:
    assert filter_matches("t < now", {"t": datetime(2000, 1, 1)})
    assert not filter_matches("t < now|addDays(-1)", {"t": datetime(2999, 1, 1)})
    assert compile_filter("t < now", COLUMNS) is not None


def test_a_column_named_now_wins_over_the_clock(engine: Engine) -> None:
    clause = compile_filter("now == 5", {"now": rows_table.c.n})
    with engine.connect() as conn:
        found = set(conn.scalars(select(rows_table.c.id).where(clause)))
    assert found == {row["id"] for row in ROWS if row["n"] == 5}


def test_filter_matches_on_a_missing_name_is_false() -> None:
    assert not filter_matches("n > 1", {})
    assert filter_matches("d == x", {"d": date(2026, 1, 1), "x": date(2026, 1, 1)})
