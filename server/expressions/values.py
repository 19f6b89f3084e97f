"""Type names in the analyst's vocabulary (JSON's), for error messages in every expression language; exact
arithmetic beside decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_KINDS = {"NoneType": "null", "bool": "boolean", "int": "number", "float": "number", "Decimal": "number",
          "str": "string", "dict": "object", "list": "list", "tuple": "list", "datetime": "date-time",
          "date": "date"}


def kind_of(value: Any) -> str:
    name = type(value).__name__
    return _KINDS.get(name, name)


def exact(a: Any, b: Any) -> tuple[Any, Any]:
    """A float literal beside an exact decimal (a money field) becomes the decimal it was written as:
    ``amount * 0.5`` stays exact instead of failing on Decimal * float."""
    if isinstance(a, Decimal) and isinstance(b, float):
        return a, Decimal(repr(b))
    if isinstance(b, Decimal) and isinstance(a, float):
        return Decimal(repr(a)), b
    return a, b
