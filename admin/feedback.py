"""Turning domain errors and form input into what an admin page shows."""

from __future__ import annotations

import json
from typing import Any

from server.errors import BadRequest, BomsError
from server.forms.limits import check_body


def describe(exc: BomsError) -> str:
    """The error's message plus where it happened (file, element, line, fields), as one line."""
    details = exc.details
    where = [f"{name} {details[name]}" for name in ("file", "element", "line") if details.get(name)
             and str(details[name]) not in exc.message]
    text = exc.message + (f" ({', '.join(where)})" if where else "")
    fields = details.get("fields")
    if isinstance(fields, dict) and fields:
        text += ": " + "; ".join(f"{name}: {problem}" for name, problem in sorted(fields.items()))
    return text


def json_object(text: str, field: str) -> dict[str, Any]:
    """A JSON object typed into a textarea; an empty box is an empty object."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{field} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         field=field) from exc
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be a JSON object like {{\"amount\": 100}}", field=field)
    return value


def definition_json(text: str) -> Any:
    """A definition typed into an editor, read as the API reads a body: the parser's errors raised as they are
    (json.JSONDecodeError; RecursionError past ~1,000 levels of nesting), then the API's body checks (NaN,
    NUL, depth, length: a BadRequest), so a page refuses what PUT refuses."""
    raw = json.loads(text)
    if isinstance(raw, dict):
        check_body(raw)
    return raw


def json_value(text: str) -> Any:
    """A single variable's new value: JSON if it reads as JSON (100, true, "x", [..]), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
