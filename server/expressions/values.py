"""Type names in the analyst's vocabulary (JSON's), for error messages in every expression language."""

from __future__ import annotations

from typing import Any

_KINDS = {"NoneType": "null", "bool": "boolean", "int": "number", "float": "number", "Decimal": "number",
          "str": "string", "dict": "object", "list": "list", "tuple": "list", "datetime": "date-time",
          "date": "date"}


def kind_of(value: Any) -> str:
    name = type(value).__name__
    return _KINDS.get(name, name)
