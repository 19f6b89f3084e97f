"""Text with `${...}` inside, evaluated as Camunda 7 evaluates composite expressions.

`kermit_${loopCounter}` is the text `kermit_` followed by the value of `loopCounter`; a text that is
one expression (`${approver}`) keeps the value's type; a text without any is itself. Each `${...}`
is compiled by the expression compiler (JEXL, never Python), so a bad one is found at deploy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from server.expressions import Expression, ExpressionError, compile_expression

_FEEL_PREFIX = "="


def has_expression(text: str | None) -> bool:
    """Whether the text holds anything to evaluate (anywhere in it, not only at the start)."""
    value = (text or "").strip()
    return "${" in value or "#{" in value or (value.startswith(_FEEL_PREFIX) and not value.startswith("=="))


def closing_brace(text: str, start: int) -> int:
    """Index of the `}` closing the expression opened just before `start`, or -1; braces inside
    string literals do not count, and object literals nest."""
    depth, quote, i = 1, "", start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _as_text(value: Any) -> str:
    if value is None:
        return ""  # JUEL coerces null to the empty string inside composite text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class Template:
    """A compiled text: literal parts and expressions; immutable and safe to share."""

    __slots__ = ("source", "parts")

    def __init__(self, source: str, parts: tuple[str | Expression, ...]) -> None:
        self.source = source
        self.parts = parts

    @property
    def expressions(self) -> list[Expression]:
        return [p for p in self.parts if isinstance(p, Expression)]

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        expressions = self.expressions
        if not expressions:
            return self.source
        if len(expressions) == 1 and not "".join(p for p in self.parts if isinstance(p, str)).strip():
            return expressions[0].evaluate(context)  # one expression keeps its type
        return "".join(p if isinstance(p, str) else _as_text(p.evaluate(context)) for p in self.parts)


@lru_cache(maxsize=4096)
def compile_template(text: str) -> Template:
    """Compile every `${...}`/`#{...}` of the text; raises ExpressionError naming the bad one."""
    if text.strip().startswith(_FEEL_PREFIX) and not text.strip().startswith("=="):
        return Template(text, (compile_expression(text),))
    parts: list[str | Expression] = []
    i = 0
    while i < len(text):
        found = [p for p in (text.find("${", i), text.find("#{", i)) if p >= 0]
        if not found:
            parts.append(text[i:])
            break
        opening = min(found)
        end = closing_brace(text, opening + 2)
        if end < 0:
            raise ExpressionError(f"'{text}' has an unclosed '{text[opening:opening + 2]}'", text)
        if opening > i:
            parts.append(text[i:opening])
        parts.append(compile_expression(text[opening:end + 1]))
        i = end + 1
    return Template(text, tuple(parts))


def evaluate_template(text: str | None, context: Mapping[str, Any]) -> Any:
    """The text's value for these variables (the text itself when it holds no expression)."""
    if text is None or not has_expression(text):
        return text
    return compile_template(text).evaluate(context)
