"""FEEL unary tests and literals, the subset DMN decision tables use in input and output entries.

A hand-written tokenizer and recursive-descent parser turn an input entry into a list of
predicates once; matching a value is then a few comparisons.  FEEL gives `null` for comparisons
between incompatible types, which a decision table treats as "rule does not match", so every
predicate here returns False instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

_Test = Callable[[Any], bool]

_TOKEN_RE = re.compile(
    r"""(?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\.\.|<=|>=|!=|[<>=\[\]\(\),])""",
    re.VERBOSE | re.ASCII,
)
_MAX_DIGITS = 310  # beyond the range of floats (and of JEXL's 1024-bit integers, see limits.py)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


class FeelError(Exception):
    """An input entry is not a FEEL unary test this engine understands."""


class _Syntax(Exception):
    """Parser-internal; carries only the reason so FeelError can add the entry text once."""


def _is_number(value: Any) -> bool:
    # bool is an int subclass in Python, but true is not 1 in FEEL.
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _as_date(value: Any) -> date | None:
    """Dates arrive as date objects or, from JSON variables, as ISO strings; a date-time string
    or object is compared by its calendar day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10 and (len(value) == 10 or value[10] in "T "):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _comparable(value: Any, literal: Any) -> tuple[Any, Any] | None:
    """Both sides in a form Python can order, or None when FEEL would say the types differ."""
    if value is None or literal is None or isinstance(value, bool) or isinstance(literal, bool):
        return None
    if _is_number(literal):
        return (value, literal) if _is_number(value) else None
    if isinstance(literal, str):
        return (value, literal) if isinstance(value, str) else None
    day = _as_date(value)
    return (day, literal) if day is not None else None


def _compare(value: Any, literal: Any) -> int | None:
    pair = _comparable(value, literal)
    if pair is None:
        return None
    a, b = pair
    return (a > b) - (a < b)


def _equals(value: Any, literal: Any) -> bool | None:
    """FEEL equality: defined against null for every type, None (unknown) across other types."""
    if value is None or literal is None:
        return value is None and literal is None
    if isinstance(literal, bool) or isinstance(value, bool):
        return value is literal if isinstance(value, bool) and isinstance(literal, bool) else None
    order = _compare(value, literal)
    return None if order is None else order == 0


def _unquote(token: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        if code not in _ESCAPES:
            raise _Syntax(f"unknown escape \\{code} in string")
        return _ESCAPES[code]

    return _ESCAPE_RE.sub(escape, token[1:-1])


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            what = "unterminated string" if text[pos] == '"' else f"unexpected character '{text[pos]}'"
            raise _Syntax(f"{what} at position {pos}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def at(self, text: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token[0] in ("op", "name") and token[1] == text

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise _Syntax("unexpected end of entry")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token[1] != text or token[0] not in ("op", "name"):
            raise _Syntax(f"expected '{text}' but found '{token[1]}' at position {token[2]}")

    def finish(self) -> None:
        token = self.peek()
        if token is not None:
            raise _Syntax(f"unexpected '{token[1]}' at position {token[2]}")

    def literal(self) -> Any:
        kind, text, pos = self.take()
        if kind == "number":
            if len(text) > _MAX_DIGITS:
                raise _Syntax(f"number too long at position {pos} (more than {_MAX_DIGITS} characters)")
            return float(text) if "." in text else int(text)
        if kind == "string":
            return _unquote(text)
        if kind == "name" and text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if kind == "name" and text == "date":
            self.expect("(")
            kind, raw, pos = self.take()
            if kind != "string":
                raise _Syntax(f"date() needs a quoted ISO date at position {pos}")
            self.expect(")")
            try:
                return date.fromisoformat(_unquote(raw))
            except ValueError:
                raise _Syntax(f"invalid date {raw}") from None
        if kind == "name":
            raise _Syntax(f"'{text}' at position {pos} is not a literal; input entries cannot use variables")
        raise _Syntax(f"expected a value but found '{text}' at position {pos}")

    def positive_list(self) -> list[_Test]:
        tests = [self.positive_test()]
        while self.at(","):
            self.take()
            tests.append(self.positive_test())
        return tests

    def positive_test(self) -> _Test:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ("[", "]", "("):
            return self.interval()
        if token is not None and token[0] == "op" and token[1] in _COMPARISONS:
            self.take()
            check, bound = _COMPARISONS[token[1]], self.literal()
            _require_ordered(bound)
            return lambda v: (c := _compare(v, bound)) is not None and check(c)
        if self.at("=") or self.at("!="):
            negate = self.take()[1] == "!="
            expected = self.literal()
            return lambda v: _equals(v, expected) is (not negate)
        expected = self.literal()
        return lambda v: _equals(v, expected) is True

    def interval(self) -> _Test:
        include_start = self.take()[1] == "["
        start = self.literal()
        self.expect("..")
        end = self.literal()
        closing = self.take()
        if closing[1] not in ("]", "[", ")"):
            raise _Syntax(f"expected ']', '[' or ')' to close the range at position {closing[2]}")
        include_end = closing[1] == "]"
        _require_ordered(start)
        _require_ordered(end)
        if _compare(end, start) is None:
            raise _Syntax("range bounds must be of the same type")

        def within(value: Any) -> bool:
            low, high = _compare(value, start), _compare(value, end)
            if low is None or high is None:
                return False
            return (low >= 0 if include_start else low > 0) and (high <= 0 if include_end else high < 0)

        return within


def _require_ordered(bound: Any) -> None:
    if bound is None or isinstance(bound, bool):
        raise _Syntax(f"{'null' if bound is None else 'a boolean'} cannot be compared with < or >")


class UnaryTests:
    """A compiled DMN input entry; ``matches`` never raises."""

    __slots__ = ("source", "_tests", "_negated")

    def __init__(self, source: str, tests: tuple[_Test, ...], negated: bool) -> None:
        self.source = source
        self._tests = tests  # empty means the entry is "-" or blank: anything matches
        self._negated = negated

    def __repr__(self) -> str:
        return f"UnaryTests({self.source!r})"

    def matches(self, value: Any) -> bool:
        if not self._tests:
            return True
        return any(test(value) for test in self._tests) != self._negated


@lru_cache(maxsize=4096)
def compile_unary_tests(text: str | None) -> UnaryTests:
    source = (text or "").strip()
    if source in ("", "-"):
        return UnaryTests(source, (), negated=False)
    try:
        parser = _Parser(source)
        negated = parser.at("not") and parser.at("(", 1)
        if negated:
            parser.take()
            parser.take()
        tests = parser.positive_list()
        if negated:
            parser.expect(")")
        parser.finish()
    except _Syntax as exc:
        raise FeelError(f"cannot read input entry '{text}': {exc}") from None
    return UnaryTests(source, tuple(tests), negated)


@lru_cache(maxsize=4096)
def parse_literal(text: str) -> tuple[bool, Any]:
    """Recognise an output entry that is a plain FEEL literal.  Dates come back as ISO strings
    because decision results are stored in JSON process variables."""
    if not isinstance(text, str):
        return False, None
    try:
        parser = _Parser(text)
        value = parser.literal()
        parser.finish()
    except _Syntax:
        return False, None
    return True, value.isoformat() if isinstance(value, date) else value


@lru_cache(maxsize=1024)
def parse_literal_list(text: str) -> tuple[Any, ...] | None:
    """An output's allowed values (`"high","medium","low"`), in order, or None if they are not literals."""
    try:
        parser = _Parser(text)
        values = [parser.literal()]
        while parser.at(","):
            parser.take()
            values.append(parser.literal())
        parser.finish()
    except _Syntax:
        return None
    return tuple(v.isoformat() if isinstance(v, date) else v for v in values)
