"""Build and check the JSON Schema (draft 2020-12) that BOMS uses for every form.

Camunda 7 ``camunda:formData`` arrives as plain dicts extracted by the engine binding;
SpiffArena forms arrive as already-parsed JSON Schema documents.  Both end up as one
object schema so that the REST API and the HTML form share a single validator.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from server.forms import registry
from server.forms.fields.dates import parse_form_date
from server.forms.patterns import PatternError, check_patterns
from server.forms.registry import FieldType

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


def _is_expression(value: str) -> bool:
    return bool(_EXPRESSION_RE.match(value))


def _field_type(ftype: str) -> FieldType:
    # A Camunda type BOMS has no field type for is kept as text, its name noted (x-camundaType).
    return registry.for_camunda(ftype) or registry.get("text")


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


def _value_bound(field_id: str, field_type: FieldType, name: str, config: str | None) -> Any:
    text = _require_config(field_id, name, config)
    try:
        return field_type.bound(text)
    except ValueError as exc:
        raise FormDefinitionError(field_id, f"validation {name!r} config {text!r} {exc}") from None


# Camunda 7's built-in form field validators, all enforced on submit.
STANDARD_VALIDATORS = ("required", "readonly", "minlength", "maxlength", "min", "max")


def _apply_validations(field_id: str, field_type: FieldType, rules: list[dict[str, Any]], prop: dict[str, Any]) -> bool:
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
            keywords = field_type.bound_keywords
            if keywords is None:
                raise FormDefinitionError(
                    field_id, f"validation {name!r} only applies to long or date fields"
                )
            prop[keywords[0] if name == "min" else keywords[1]] = _value_bound(field_id, field_type, name, config)
        else:
            # A custom validator (Java class, expression, plugin name) would be accepted and never run.
            shown = f"{raw_name.strip()}" + (f" (config {config.strip()!r})" if config and config.strip() else "")
            raise FormDefinitionError(
                field_id, f"validation {shown} is not supported: BOMS enforces {', '.join(STANDARD_VALIDATORS)}"
                " and refuses custom validators rather than skip them")
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

    field_type = _field_type(ftype)
    try:
        prop: dict[str, Any] = field_type.fragment(field)
    except ValueError as exc:
        raise FormDefinitionError(field_id, str(exc)) from None
    if field_type.camunda_type != ftype:
        prop["x-camundaType"] = ftype
    prop["title"] = label if label else field_id

    default = field.get("default")
    if isinstance(default, str) and default != "":
        if _is_expression(default):
            prop["x-defaultExpression"] = default
        else:
            try:
                prop["default"] = field_type.default(default, prop)
            except ValueError as exc:
                raise FormDefinitionError(field_id, f"default {default!r} {exc}") from None

    required = _apply_validations(field_id, field_type, list(field.get("validation") or []), prop)

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
