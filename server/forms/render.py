"""JSON-Schema forms in HTML: field descriptors for the templates, and typed values from a POST.

Parsing never validates: a value that cannot be read stays a string, so the one validator
(server/forms/validation.py) reports it with the same message the API gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

TEXTAREA_OVER = 200


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool = False
    readonly: bool = False
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    decision: bool = False


def _order(schema: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    order = [n for n in schema.get("x-order", []) if n in props]
    return order + [n for n in props if n not in order]


def _widget(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    hints = {**prop.get("x-properties", {}), **{k.removeprefix("ui:"): v for k, v in ui.items()}}
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "array":
        items = prop.get("items", {})
        return "multiselect" if "enum" in items else "unsupported"
    if kind == "object" or fmt == "data-url":
        return "unsupported"
    if "enum" in prop:
        return "radio" if hints.get("widget") == "radio" else "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "integer" or kind == "number":
        return "money" if hints.get("format") == "money" or hints.get("widget") == "money" else "number"
    if fmt in ("date", "email"):
        return fmt
    if fmt == "date-time":
        return "datetime"
    if hints.get("widget") == "textarea" or prop.get("maxLength", 0) > TEXTAREA_OVER or name.endswith("Comment"):
        return "textarea"
    return "text"


def _is_decision(name: str, prop: Mapping[str, Any]) -> bool:
    flagged = str(prop.get("x-properties", {}).get("decision", "")).lower() == "true"
    return "enum" in prop and (flagged or name.endswith("Decision"))


def fields(schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None = None,
           errors: Mapping[str, str] | None = None, ui_schema: Mapping[str, Any] | None = None) -> list[Field]:
    """The form's fields in the modeler's order, with values (typed back, or defaults) and errors."""
    if not schema:
        return []
    values, errors, ui_schema = values or {}, errors or {}, ui_schema or {}
    required = set(schema.get("required", []))
    result = []
    for name in _order(schema):
        prop = schema["properties"][name]
        widget = _widget(name, prop, ui_schema.get(name, {}))
        enum = prop.get("enum") or prop.get("items", {}).get("enum") or []
        names = prop.get("x-enumNames") or prop.get("items", {}).get("x-enumNames") or enum
        attrs = {key: prop[src] for key, src in (("minlength", "minLength"), ("maxlength", "maxLength"),
                                                  ("min", "minimum"), ("max", "maximum")) if src in prop}
        if widget == "money":
            attrs.setdefault("step", "0.01")
        elif prop.get("type") == "number":
            attrs.setdefault("step", "any")
        result.append(Field(
            name=name, label=prop.get("title") or name, widget=widget,
            required=name in required and not prop.get("readOnly"), readonly=bool(prop.get("readOnly")),
            value=values.get(name, prop.get("default")), options=list(zip(map(str, enum), map(str, names),
                                                                              strict=False)),
            attrs=attrs, error=_message(name, errors.get(name)), decision=_is_decision(name, prop),
        ))
    return result


def _message(name: str, error: str | None) -> str | None:
    # The validator names the field for API clients; beside the field itself that is noise.
    return error.removeprefix(f"{name}: ") if error else None


def _number(raw: str, integer: bool) -> Any:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        try:
            number = float(raw)
            return int(number) if integer and number.is_integer() else raw
        except ValueError:
            return raw


def parse_submission(schema: Mapping[str, Any] | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """Typed variables from an HTML form POST, for the schema's fields only."""
    if not schema:
        return {}
    result: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        kind = prop.get("type")
        if kind == "boolean":
            result[name] = form.get(name) in ("on", "true", "1", "yes")
            continue
        if kind == "array":
            if name in form:
                result[name] = form.getlist(name)
            continue
        raw = form.get(name, "").strip()
        if raw == "":
            continue  # an empty optional field is absent, a required one is reported as missing
        if kind in ("integer", "number"):
            result[name] = _number(raw, kind == "integer")
        elif prop.get("format") == "date-time" and len(raw) == 16:
            result[name] = raw + ":00Z"  # datetime-local has no zone; BOMS keeps UTC
        else:
            result[name] = raw
    return result
