"""The JUEL spellings Camunda 7 models use, rewritten to JEXL before parsing (never evaluated as JUEL).

- keyword operators between operands: `a eq 1`, `ne`, `lt`, `gt`, `le`, `ge`, `div`, `mod`
  (and, or, not are handled with JEXL's own word operators);
- `empty x` / `not empty x` / `!empty x`: true for null, "", an empty list or map (the `empty()` function);
- method calls `x.name(args)` become the transform `x|name(args)` when `name` is one of the Java methods
  of server.expressions.juel_methods (`x.size()` becomes `x|size`: JEXL transforms take no empty
  parentheses); any other method, and an `execution.<field>` Camunda does not have, is refused here.

String literals are left as written, and a word is only an operator where JUEL reads one: between two
operands for the binary ones, before an operand for `empty`; a variable named `lt` or `empty` stays a
variable. Operator replacements keep the text's length, so parser errors still point into it.
"""

from __future__ import annotations

import re
from typing import Any

from server.expressions.errors import ExpressionError
from server.expressions.functions import register_function
from server.expressions.juel_methods import METHODS
from server.expressions.juel_values import EXECUTION_FIELDS

_BINARY = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_STRING = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_BINARY_RE = re.compile(rf"({_STRING})|(?<=[\w$)\]'\"])(\s+)(eq|ne|lt|gt|le|ge|div|mod)(?=\s)", re.DOTALL)
# `empty` then an operand: a name path (a.b[0].c) or a parenthesized expression.
_PATH = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\[\]]*\])*"
_EMPTY_RE = re.compile(rf"({_STRING})|(?<![\w$.])empty\s+(?:({_PATH})|(?=\())", re.DOTALL)


_METHOD_RE = re.compile(rf"({_STRING})|\.\s*([A-Za-z_$][\w$]*)\s*\((\s*\))?", re.DOTALL)
_FIELD_RE = re.compile(rf"({_STRING})|(?<![\w$.|])execution\s*\.\s*([A-Za-z_$][\w$]*)(?![\w$]|\s*\()", re.DOTALL)
_EXECUTION_METHODS = ", ".join(sorted(m for m in METHODS if "Variable" in m))


def _method_call(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    name = match.group(2)
    if name not in METHODS:
        raise ExpressionError(f"the JUEL method call '.{name}(' is not supported; BOMS runs these methods: "
                              f"{', '.join(sorted(METHODS))}")
    return f"|{name}" if match.group(3) else f"|{name}("  # JEXL has no `|name()`: no arguments, no parentheses


def _check_fields(text: str) -> None:
    for match in _FIELD_RE.finditer(text):
        if match.group(2) and match.group(2) not in EXECUTION_FIELDS:
            raise ExpressionError(f"execution has no field '{match.group(2)}' here (it has "
                                  f"{', '.join(EXECUTION_FIELDS)}; methods {_EXECUTION_METHODS})")


def _empty_call(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    return f"empty({match.group(2)})" if match.group(2) else "empty"


def translate_juel(text: str) -> str:
    if "." in text:
        _check_fields(text)
        text = _METHOD_RE.sub(_method_call, text)
    text = _EMPTY_RE.sub(_empty_call, text)
    return _BINARY_RE.sub(lambda m: m.group(1) or f"{m.group(2)}{_BINARY[m.group(3)]}", text)


def is_empty(value: Any) -> bool:
    """JUEL's `empty`: null, an empty string, list or map."""
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


register_function("empty", is_empty)
