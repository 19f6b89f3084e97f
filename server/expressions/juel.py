"""The JUEL spellings Camunda 7 models use, rewritten to JEXL before parsing (never evaluated as JUEL).

- keyword operators between operands: `a eq 1`, `ne`, `lt`, `gt`, `le`, `ge`, `div`, `mod`
  (and, or, not are handled with JEXL's own word operators);
- `empty x` / `not empty x` / `!empty x`: true for null, "", an empty list or map (the `empty()` function).

String literals are left as written, and a word is only an operator where JUEL reads one: between two
operands for the binary ones, before an operand for `empty`; a variable named `lt` or `empty` stays a
variable. Anything else of JUEL (method calls such as `x.equals(y)`) is not rewritten and is refused by
the parser with its position.
"""

from __future__ import annotations

import re
from typing import Any

from server.expressions.functions import register_function

_BINARY = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_STRING = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_BINARY_RE = re.compile(rf"({_STRING})|(?<=[\w$)\]'\"])(\s+)(eq|ne|lt|gt|le|ge|div|mod)(?=\s)", re.DOTALL)
# `empty` then an operand: a name path (a.b[0].c) or a parenthesized expression.
_PATH = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\[\]]*\])*"
_EMPTY_RE = re.compile(rf"({_STRING})|(?<![\w$.])empty\s+(?:({_PATH})|(?=\())", re.DOTALL)


def _empty_call(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    return f"empty({match.group(2)})" if match.group(2) else "empty"


def translate_juel(text: str) -> str:
    text = _EMPTY_RE.sub(_empty_call, text)
    return _BINARY_RE.sub(lambda m: m.group(1) or f"{m.group(2)}{_BINARY[m.group(3)]}", text)


def is_empty(value: Any) -> bool:
    """JUEL's `empty`: null, an empty string, list or map."""
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


register_function("empty", is_empty)
