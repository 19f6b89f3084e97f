"""File fields of a form: how they are recognised, and the one value a file variable holds.

A field is a file when its JSON Schema is ``{"type": "string", "format": "data-url"}`` (the SpiffArena /
rjsf convention) or ``{"type": "object", "x-widget": "file"}``. Whichever the modeler wrote, the process
variable never holds the bytes (no data URL: variables are loaded with every step of the engine), only a
reference to the file kept by server/services/files.py::

    {"fileId": "<uuid>", "name": "report.pdf", "size": 1234, "contentType": "application/pdf"}

The deployed schema still says what the modeler wrote; the web form validates its submission against
``validation_schema(form)``, which swaps each top-level file field for that object shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FILE_KEYS = ("fileId", "name", "size", "contentType")

FILE_VALUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(FILE_KEYS),
    "properties": {
        "fileId": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "minLength": 1},
        "size": {"type": "integer", "minimum": 0},
        "contentType": {"type": "string"},
    },
    "additionalProperties": False,
}


def is_file_field(prop: Mapping[str, Any]) -> bool:
    kind, fmt = prop.get("type"), prop.get("format")
    return (kind == "string" and fmt == "data-url") or (kind == "object" and prop.get("x-widget") == "file")


def file_fields(schema: Mapping[str, Any] | None) -> list[str]:
    """Names of the schema's top-level file fields that the user fills in (read-only ones are shown only)."""
    props = (schema or {}).get("properties") or {}
    return [name for name, prop in props.items()
            if isinstance(prop, Mapping) and is_file_field(prop) and not prop.get("readOnly")]


def validation_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The schema a web submission is checked against: file fields expect the stored-file object."""
    if not schema or not schema.get("properties"):
        return schema
    props = schema["properties"]
    if not any(isinstance(p, Mapping) and is_file_field(p) for p in props.values()):
        return schema
    swapped = {
        # Title and description stay so messages and pages still name the field as the modeler did.
        name: {**FILE_VALUE_SCHEMA, **{k: prop[k] for k in ("title", "description", "readOnly") if k in prop}}
        if isinstance(prop, Mapping) and is_file_field(prop) else prop
        for name, prop in props.items()
    }
    return {**schema, "properties": swapped}


def accepting_references(schema: dict[str, Any] | None, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The schema with each file field that ``variables`` fills with a stored-file reference expecting that
    reference: an API client uploads first (POST /api/v1/tasks/{id}/files) and completes with what it got.
    Fields given anything else keep the modeler's schema, and its messages."""
    if not schema or not isinstance(schema.get("properties"), Mapping):
        return schema
    given = {name for name, prop in schema["properties"].items()
             if isinstance(prop, Mapping) and is_file_field(prop) and is_file_value(variables.get(name))}
    if not given:
        return schema
    return {**schema, "properties": {name: {**FILE_VALUE_SCHEMA, **{k: prop[k] for k in ("title", "description")
                                                                    if k in prop}}
                                     if name in given else prop for name, prop in schema["properties"].items()}}


def is_file_value(value: Any) -> bool:
    """Whether a variable's value is a stored-file reference (shown as a download link)."""
    return (isinstance(value, Mapping) and set(value) == set(FILE_KEYS)
            and isinstance(value.get("fileId"), str) and isinstance(value.get("size"), int))
