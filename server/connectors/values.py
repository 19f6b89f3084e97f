"""Parameter values of service tasks, as read from the BPMN and stored with the process version.

A value is stored as plain JSON so that it survives the database and is evaluated without
re-reading the XML:

    {"value": <JSON>}                   a constant
    {"expr": "${amount * 2}"}           one JEXL expression; keeps the result's type
    {"template": ["/orders/", {"expr": "${id}"}]}   text with expressions inside, always a string
    {"map": {"key": <value>, ...}}      camunda:map
    {"list": [<value>, ...]}            camunda:list

Expressions are JEXL (server.expressions): never Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from server.engine.templates import closing_brace  # one reading of `${...}` for templates and connector values
from server.expressions import ExpressionError, compile_expression

ValueSpec = dict[str, Any]


class ValueSpecError(Exception):
    """A value cannot be read (deploy time) or evaluated (run time); the message says why."""


def parse_text(text: str | None) -> ValueSpec:
    """Text as a modeler writes it: constant, `${expression}`, or text with `${...}` inside."""
    if text is None:
        return {"value": None}
    parts: list[Any] = []
    i = 0
    while i < len(text):
        opening = min((p for p in (text.find("${", i), text.find("#{", i)) if p >= 0), default=-1)
        if opening < 0:
            parts.append(text[i:])
            break
        end = closing_brace(text, opening + 2)
        if end < 0:
            raise ValueSpecError(f"'{text}' has an unclosed '{text[opening:opening + 2]}'")
        if opening > i:
            parts.append(text[i:opening])
        parts.append({"expr": text[opening:end + 1]})
        i = end + 1
    expressions = [p for p in parts if isinstance(p, dict)]
    if not expressions:
        return {"value": text}
    if len(parts) == 1 or (len(expressions) == 1 and "".join(p for p in parts if isinstance(p, str)).strip() == ""):
        return expressions[0]  # surrounding whitespace is layout, not part of the value
    return {"template": parts}


def expression(text: str) -> ValueSpec:
    """A value that is an expression even without `${}` (SpiffArena writes parameters that way)."""
    return {"expr": text}


def check(spec: ValueSpec) -> None:
    """Compile every expression in the value, so a bad one is found at deploy time."""
    for text in expressions_of(spec):
        try:
            compile_expression(text)
        except ExpressionError as exc:
            raise ValueSpecError(str(exc)) from exc


def expressions_of(spec: ValueSpec) -> list[str]:
    if "expr" in spec:
        return [spec["expr"]]
    if "template" in spec:
        return [p["expr"] for p in spec["template"] if isinstance(p, dict)]
    if "map" in spec:
        return [text for value in spec["map"].values() for text in expressions_of(value)]
    if "list" in spec:
        return [text for value in spec["list"] for text in expressions_of(value)]
    return []


def literal(spec: ValueSpec) -> tuple[bool, Any]:
    """(True, value) when the value holds no expression and is known at deploy time."""
    if expressions_of(spec):
        return False, None
    return True, evaluate(spec, {})


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def evaluate(spec: ValueSpec, variables: Mapping[str, Any]) -> Any:
    """The value for these variables; raises ExpressionError naming the expression."""
    if "value" in spec:
        return spec["value"]
    if "expr" in spec:
        return compile_expression(spec["expr"]).evaluate(variables)
    if "template" in spec:
        return "".join(p if isinstance(p, str) else _as_text(evaluate(p, variables)) for p in spec["template"])
    if "map" in spec:
        return {key: evaluate(value, variables) for key, value in spec["map"].items()}
    if "list" in spec:
        return [evaluate(value, variables) for value in spec["list"]]
    raise ValueSpecError(f"not a parameter value: {spec!r}")
