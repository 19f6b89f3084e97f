"""Build and check the JSON Schema (draft 2020-12) that BOMS uses for every form.

Camunda 7 ``camunda:formData`` arrives as plain dicts extracted by the engine binding;
SpiffArena forms arrive as already-parsed JSON Schema documents.  Both end up as one
object schema so that the REST API and the HTML form share a single validator.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from server.forms.patterns import PatternError, check_patterns

__all__ = [
    "FormDefinitionError",
    "check_json_schema",
    "parse_form_date",
    "schema_from_camunda_fields",
]


class FormDefinitionError(Exception):
    """A form definition that cannot be turned into a usable schema.

    ``field`` names the offending field id (or the schema source for SpiffArena files)
    so the deploy step can point the modeller at the right element.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


# Camunda expressions are evaluated by the engine at runtime, so they cannot be
# converted to a typed default at deploy time.
_EXPRESSION_RE = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Camunda Modeler's default date pattern; accepting it spares modellers a rewrite.
_CAMUNDA_DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$", re.ASCII)

_TYPE_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "enum": {"type": "string"},
}
_STRING_TYPES = frozenset({"string", "date", "enum"})


def parse_form_date(value: str) -> date | None:
    """Parse an ISO ``YYYY-MM-DD`` or Camunda ``dd/MM/yyyy`` date; None if neither."""
    text = value.strip()
    try:
        if _ISO_DATE_RE.match(text):
            return date.fromisoformat(text)
        if _CAMUNDA_DATE_RE.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None
    return None


def _is_expression(value: str) -> bool:
    return bool(_EXPRESSION_RE.match(value))


def _convert_default(field_id: str, ftype: str, raw: str, enum_ids: list[str]) -> Any:
    if ftype == "long":
        try:
            return int(raw.strip())
        except ValueError:
            raise FormDefinitionError(field_id, f"default {raw!r} is not a whole number") from None
    if ftype == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise FormDefinitionError(field_id, f"default {raw!r} is not true or false")
        return lowered == "true"
    if ftype == "date":
        parsed = parse_form_date(raw)
        if parsed is None:
            raise FormDefinitionError(field_id, f"default {raw!r} is not a date (YYYY-MM-DD)")
        return parsed.isoformat()
    if ftype == "enum" and raw not in enum_ids:
        raise FormDefinitionError(field_id, f"default {raw!r} is not one of the enum values")
    return raw


def _require_config(field_id: str, name: str, config: str | None) -> str:
    if config is None or not config.strip():
        raise FormDefinitionError(field_id, f"validation {name!r} needs a config value")
    return config.strip()


def _length_bound(field_id: str, name: str, config: str | None) -> int:
    text = _require_config(field_id, name, config)
    try:
        value = int(text)
    except ValueError:
        raise FormDefinitionError(
            field_id, f"validation {name!r} config {text!r} is not a whole number"
        ) from None
    if value < 0:
        raise FormDefinitionError(field_id, f"validation {name!r} config must not be negative")
    return value


def _value_bound(field_id: str, ftype: str, name: str, config: str | None) -> int | float | str:
    text = _require_config(field_id, name, config)
    if ftype == "date":
        parsed = parse_form_date(text)
        if parsed is None:
            raise FormDefinitionError(
                field_id, f"validation {name!r} config {text!r} is not a date (YYYY-MM-DD)"
            )
        return parsed.isoformat()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise FormDefinitionError(field_id, f"validation {name!r} config {text!r} is not a number") from None


def _apply_validations(field_id: str, ftype: str, rules: list[dict[str, Any]], prop: dict[str, Any]) -> bool:
    """Add constraint keywords to ``prop``; return whether the field is required."""
    required = False
    for rule in rules:
        raw_name = rule.get("name")
        if not isinstance(raw_name, str) or not raw_name.strip():
            raise FormDefinitionError(field_id, "validation constraint without a name")
        name = raw_name.strip().lower()
        config = rule.get("config")
        if name == "required":
            required = True
        elif name == "readonly":
            prop["readOnly"] = True
        elif name in ("minlength", "maxlength"):
            if prop.get("type") != "string":
                raise FormDefinitionError(field_id, f"validation {name!r} only applies to text fields")
            prop["minLength" if name == "minlength" else "maxLength"] = _length_bound(field_id, name, config)
        elif name in ("min", "max"):
            if ftype == "date":
                key = "formatMinimum" if name == "min" else "formatMaximum"
            elif ftype == "long":
                key = "minimum" if name == "min" else "maximum"
            else:
                raise FormDefinitionError(
                    field_id, f"validation {name!r} only applies to long or date fields"
                )
            prop[key] = _value_bound(field_id, ftype, name, config)
        else:
            # Kept so custom validators survive a round trip, but never enforced here.
            prop[f"x-validation-{name}"] = config if config is not None else True
    _check_bounds_order(field_id, prop)
    return required


def _check_bounds_order(field_id: str, prop: dict[str, Any]) -> None:
    # ISO date strings compare correctly as text, so one check covers all pairs.
    for low, high in (("minLength", "maxLength"), ("minimum", "maximum"), ("formatMinimum", "formatMaximum")):
        if low in prop and high in prop and prop[low] > prop[high]:
            raise FormDefinitionError(field_id, f"{low} {prop[low]!r} is greater than {high} {prop[high]!r}")


def _field_schema(field: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
    field_id = field.get("id")
    if not isinstance(field_id, str) or not field_id.strip():
        raise FormDefinitionError("", "form field without an id")
    ftype = field.get("type") or "string"
    label = field.get("label")

    prop: dict[str, Any] = dict(_TYPE_SCHEMAS.get(ftype, {"type": "string"}))
    if ftype not in _TYPE_SCHEMAS:
        prop["x-camundaType"] = ftype
    prop["title"] = label if label else field_id

    enum_ids: list[str] = []
    if ftype == "enum":
        values = field.get("enum") or []
        if any(not isinstance(v, dict) or not v.get("id") for v in values):
            raise FormDefinitionError(field_id, "enum value without an id")
        enum_ids = [str(v["id"]) for v in values]
        if len(set(enum_ids)) != len(enum_ids):
            raise FormDefinitionError(field_id, "enum values have duplicate ids")
        prop["enum"] = enum_ids
        prop["x-enumNames"] = [str(v.get("name") or v["id"]) for v in values]

    default = field.get("default")
    if isinstance(default, str) and default != "":
        if _is_expression(default):
            prop["x-defaultExpression"] = default
        else:
            prop["default"] = _convert_default(field_id, ftype, default, enum_ids)

    required = _apply_validations(field_id, ftype, list(field.get("validation") or []), prop)

    properties = field.get("properties") or {}
    if properties:
        prop["x-properties"] = dict(properties)
    # The user cannot supply a read-only value, so demanding one would make the form uncompletable.
    return field_id, prop, required and not prop.get("readOnly", False)


def schema_from_camunda_fields(fields: list[dict], title: str | None = None) -> dict:
    """Turn extracted ``camunda:formField`` dicts into a draft 2020-12 object schema."""
    schema: dict[str, Any] = {"type": "object"}
    if title:
        schema["title"] = title
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        field_id, prop, is_required = _field_schema(field)
        if field_id in properties:
            raise FormDefinitionError(field_id, "duplicate form field id")
        properties[field_id] = prop
        if is_required:
            required.append(field_id)
    schema["properties"] = properties
    schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def check_json_schema(schema: dict, source: str) -> dict:
    """Reject a SpiffArena form file that is not a valid JSON Schema for an object."""
    if not isinstance(schema, dict):
        raise FormDefinitionError(source, "form schema must be a JSON object")
    validator_cls = validator_for(schema, default=None)
    if validator_cls is None:
        if "$schema" in schema:
            raise FormDefinitionError(source, f"unsupported $schema {schema['$schema']!r}")
        validator_cls = Draft202012Validator
    try:
        validator_cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        detail = f" at {where}" if where else ""
        raise FormDefinitionError(source, f"not a valid JSON Schema{detail}: {exc.message}") from None
    declared = schema.get("type")
    if declared != "object":
        raise FormDefinitionError(source, f"form schema must have type 'object', not {declared!r}")
    try:
        check_patterns(schema, source)
    except PatternError as exc:
        raise FormDefinitionError(exc.field, exc.message) from None
    return schema
