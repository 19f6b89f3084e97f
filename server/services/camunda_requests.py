"""Reading Camunda 7 request bodies: Camunda's field names, each checked, an unknown one refused.

A client written for Camunda may send fields BOMS does not implement; answering as if it had would be
the silent skip BOMS never does, so such a field is a 400 naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.errors import BadRequest


def body_of(body: Any, known: set[str], where: str = "") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest(f"{where or 'the request body'} must be a JSON object", field=where or None)
    unknown = sorted(set(body) - known)
    if unknown:
        name = f"{where}.{unknown[0]}" if where else unknown[0]
        raise BadRequest(f"'{name}' is not supported by BOMS (it reads {', '.join(sorted(known))})", field=name)
    return body


def text(body: dict[str, Any], name: str, required: bool = False, where: str = "") -> str | None:
    value = body.get(name)
    field = f"{where}.{name}" if where else name
    if value is None:
        if required:
            raise BadRequest(f"'{field}' is required", field=field)
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise BadRequest(f"'{field}' must be non-empty text of at most 255 characters", field=field)
    return value


def integer(body: dict[str, Any], name: str, low: int, high: int, required: bool = False, where: str = "",
            default: int | None = None) -> int | None:
    value = body.get(name)
    field = f"{where}.{name}" if where else name
    if value is None:
        if required:
            raise BadRequest(f"'{field}' is required", field=field)
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"'{field}' must be a whole number from {low} to {high}", field=field)
    return value


def flag(body: dict[str, Any], name: str, where: str = "") -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        field = f"{where}.{name}" if where else name
        raise BadRequest(f"'{field}' must be true or false", field=field)
    return value


def names(body: dict[str, Any], name: str, where: str = "") -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        field = f"{where}.{name}" if where else name
        raise BadRequest(f"'{field}' must be a list of names", field=field)
    return value


def camunda_time(value: datetime | None) -> str | None:
    """Camunda's date format: 2026-12-01T13:00:00.000+0000 (BOMS keeps naive UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000" if value else None


def query_of(params: dict[str, str], known: set[str]) -> dict[str, str]:
    """A query string's parameters, each one BOMS reads (any other is a 400 naming it)."""
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadRequest(f"'{unknown[0]}' is not supported (BOMS reads {', '.join(sorted(known))})",
                         field=unknown[0])
    return params


def bool_param(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value not in (None, "true", "false"):
        raise BadRequest(f"'{name}' must be true or false", field=name)
    return value == "true"


def int_param(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) > 10_000:
        raise BadRequest(f"'{name}' must be a whole number from 0 to 10000", field=name)
    return int(value)
