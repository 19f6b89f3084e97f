"""Camunda's typed variables, the shape every engine-rest client sends and expects.

In: `{"x": {"value": 1, "type": "Integer"}}`; a missing type takes the JSON value as it is. `Json` (and
`Object` serialized as application/json) carry JSON text, parsed here. Types BOMS cannot hold as a
JSON value (Bytes, File, Java-serialized objects) are refused naming the variable, not stored as text.
Out: each BOMS value with the Camunda type its JSON value has; lists and maps as `Json`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from server.errors import BadRequest

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
NUMBER_TYPES = {"integer": (INT_MIN, INT_MAX), "short": (-(2**15), 2**15 - 1), "long": (LONG_MIN, LONG_MAX)}
TEXT_TYPES = {"string", "date"}  # a date is kept as its ISO text, as the client wrote it


def _refuse(name: str, message: str) -> BadRequest:
    return BadRequest(f"variable '{name}': {message}", field=f"variables.{name}")


def _json_value(name: str, text: Any) -> Any:
    if not isinstance(text, str):
        return text  # some clients send the structure itself
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _refuse(name, f"type Json needs JSON text: {exc}") from None


def from_typed_value(name: str, typed: Any) -> Any:
    if not isinstance(typed, dict):
        raise _refuse(name, 'must be an object such as {"value": 1, "type": "Integer"}')
    unknown = sorted(set(typed) - {"value", "type", "valueInfo"})
    if unknown:
        raise _refuse(name, f"unknown key '{unknown[0]}' (a variable has value, type and valueInfo)")
    value, kind = typed.get("value"), str(typed.get("type") or "").lower()
    if kind in ("", "null"):
        return value if kind == "" else None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _refuse(name, "type Boolean needs true or false")
        return value
    if kind in NUMBER_TYPES:
        low, high = NUMBER_TYPES[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _refuse(name, f"type {typed['type']} needs a whole number from {low} to {high}")
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _refuse(name, "type Double needs a number")
        return float(value)
    if kind in TEXT_TYPES:
        if not isinstance(value, str):
            raise _refuse(name, f"type {typed['type']} needs text")
        return value
    if kind == "json":
        return _json_value(name, value)
    if kind == "object":
        info = typed.get("valueInfo") or {}
        if isinstance(info, dict) and info.get("serializationDataFormat") == "application/json":
            return _json_value(name, value)
        raise _refuse(name, "type Object is only accepted serialized as application/json (Java objects cannot "
                      "be read here)")
    raise _refuse(name, f"type {typed.get('type')} is not supported (BOMS holds Boolean, Integer, Short, Long, "
                  "Double, String, Date, Null, Json and JSON Objects)")


def from_typed(variables: Any, field: str = "variables") -> dict[str, Any]:
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise BadRequest(f"{field} must be an object of typed variables", field=field)
    return {str(name): from_typed_value(str(name), typed) for name, typed in variables.items()}


def type_of(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if INT_MIN <= value <= INT_MAX else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return "Json"


def to_typed(variables: dict[str, Any], names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """`names` (None: all) picks the variables, as fetchAndLock's `variables` list does."""
    result = {}
    for name, value in variables.items():
        if names is not None and name not in names:
            continue
        kind = type_of(value)
        result[name] = {"type": kind, "value": json.dumps(value) if kind == "Json" else value, "valueInfo": {}}
    return result
