"""Validate submitted task variables against a form's JSON Schema.

Used by ``POST /api/v1/tasks/{id}/complete`` (422 on failure) and later by the HTML
form, so messages are written for end users rather than passed through from jsonschema.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from server.errors import FormInvalid
from server.forms import registry
from server.forms.fields.dates import parse_form_date
from server.forms.files import accepting_references, validation_schema
from server.forms.patterns import (
    PatternError,
    additional_properties_keyword,
    check_patterns,
    pattern_keyword,
    pattern_properties_keyword,
    search,
)
from server.forms.registry import FieldType
from server.forms.schema import FormDefinitionError

__all__ = ["FieldMessage", "FormValidationError", "english", "property_checks", "validate_form", "validate_submission"]

_CACHE_SIZE = 256


class FormValidationError(Exception):
    """Submitted variables do not fit the form; ``errors`` maps field path -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


# jsonschema only checks date-time when the optional rfc3339-validator package is
# installed, which BOMS does not depend on, so the check is provided here.
_DATE_TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
_FORMAT_CHECKER = FormatChecker()


@_FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    return bool(_DATE_TIME_RE.match(instance)) and bool(datetime.fromisoformat(instance.upper()))


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _date_bound_errors(
    keyword: str, bound: object, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if schema.get("format") != "date" or not isinstance(instance, str) or not isinstance(bound, str):
        return
    value = _iso_date(instance)
    limit = parse_form_date(bound)
    # An unparseable value is already reported by the format check; an unparseable
    # bound was rejected at deploy time for Camunda forms, so neither is repeated here.
    if value is None or limit is None:
        return
    if keyword == "formatMinimum" and value < limit:
        yield ValidationError(f"{instance!r} is before {limit.isoformat()}")
    if keyword == "formatMaximum" and value > limit:
        yield ValidationError(f"{instance!r} is after {limit.isoformat()}")


def _format_minimum(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    yield from _date_bound_errors("formatMinimum", bound, instance, schema)


def _format_maximum(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    yield from _date_bound_errors("formatMaximum", bound, instance, schema)


@lru_cache(maxsize=16)
def _with_date_bounds(base: type[Validator]) -> type[Validator]:
    # Patterns run on RE2 (server/forms/patterns.py): Python's re can take exponential time.
    return extend(base, {"formatMinimum": _format_minimum, "formatMaximum": _format_maximum,
                         "pattern": pattern_keyword, "patternProperties": pattern_properties_keyword,
                         "additionalProperties": additional_properties_keyword(base)})


@dataclass(frozen=True)
class _CompiledForm:
    validator: Validator
    field_order: tuple[str, ...]
    read_only: frozenset[str]
    # Fields whose type stores an accepted value differently from how JSON gave it (5.0 as the integer 5).
    cleaners: tuple[tuple[str, FieldType, dict[str, Any]], ...]


@lru_cache(maxsize=_CACHE_SIZE)
def _compile(key: str, field_order: tuple[str, ...]) -> _CompiledForm:
    # Rebuilt from the key so a caller mutating its schema dict later cannot corrupt the cache.
    # The key has sorted keys, so the form's field order travels separately.
    schema: dict[str, Any] = json.loads(key)
    properties: dict[str, Any] = schema.get("properties") or {}
    read_only = frozenset(
        name for name, prop in properties.items() if isinstance(prop, dict) and prop.get("readOnly") is True
    )
    cleaners = tuple(
        (name, field_type, prop) for name, prop in properties.items()
        if isinstance(prop, dict) and type(field_type := registry.of(prop)).clean is not FieldType.clean
    )
    if read_only and isinstance(schema.get("required"), list):
        # Read-only values are stripped from submissions, so they must not be demanded either.
        schema["required"] = [name for name in schema["required"] if name not in read_only]
    base = validator_for(schema, default=Draft202012Validator)
    try:
        base.check_schema(schema)
    except SchemaError as exc:
        raise FormDefinitionError("form", f"not a valid JSON Schema: {exc.message}") from None
    try:
        check_patterns(schema, "form")
    except PatternError as exc:
        raise FormDefinitionError(exc.field, exc.message) from None
    validator = _with_date_bounds(base)(schema, format_checker=_FORMAT_CHECKER)
    return _CompiledForm(validator, field_order, read_only, cleaners)


_TYPE_NOUNS = {
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_FORMAT_NOUNS = {
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time (YYYY-MM-DDTHH:MM:SS with a time zone)",
    "email": "an email address",
    "time": "a time (HH:MM:SS)",
    "uuid": "a UUID",
}
# A wrong type makes every other complaint about that field moot, so it wins the slot.
_PRIORITY = {"type": 0, "required": 0, "additionalProperties": 0}
# Keywords whose message needs only the keyword's value, as ``value`` (a count, a bound, a pattern).
_SIMPLE_CODES = frozenset({
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minItems", "maxItems", "uniqueItems", "pattern", "formatMinimum", "formatMaximum", "const",
})


class FieldMessage(str):
    """One field's message: the English text (what the API sends) plus a code and parameters, so a page
    can say the same in the reader's language (server/inbox/texts.py). It is a ``str`` so every
    caller that expects the plain text, JSON encoding included, gets exactly that."""

    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, params: Mapping[str, Any] | None = None) -> FieldMessage:
        message = super().__new__(cls, text)
        message.code = code
        message.params = dict(params or {})
        return message


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def english(code: str, params: Mapping[str, Any]) -> str:
    """The English text of a message code (without the field's path)."""
    value = params.get("value")
    texts = {
        "required": lambda: "is required",
        "unknown_field": lambda: "not a field of this form",
        "read_only": lambda: "is read-only and cannot be changed",
        "not_object": lambda: "variables must be a JSON object",
        "type": lambda: "must be " + " or ".join(_TYPE_NOUNS.get(t, str(t)) for t in params["types"]),
        "enum": lambda: "must be one of " + ", ".join(str(v) for v in params["options"]),
        "format": lambda: "must be " + _FORMAT_NOUNS.get(params["format"], f"a valid {params['format']}"),
        "const": lambda: f"must be {value}",
        "minLength": lambda: f"must be at least {_plural(value, 'character')}",
        "maxLength": lambda: f"must be at most {_plural(value, 'character')}",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "exclusiveMaximum": lambda: f"must be less than {value}",
        "multipleOf": lambda: f"must be a multiple of {value}",
        "minItems": lambda: f"must have at least {_plural(value, 'item')}",
        "maxItems": lambda: f"must have at most {_plural(value, 'item')}",
        "uniqueItems": lambda: "must not contain duplicates",
        "pattern": lambda: f"must match the pattern {value}",
        "formatMinimum": lambda: f"must be on or after {value}",
        "formatMaximum": lambda: f"must be on or before {value}",
        # Imported spreadsheet cells (server/forms/registry.py FieldType.cast).
        "cast_integer": lambda: f"{value!r} is not a whole number",
        "cast_number": lambda: f"{value!r} is not a number",
        "cast_date": lambda: f"{value!r} is not a date (such as 2026-03-05, 2026/3/5 or 2026年3月5日)",
        "cast_datetime": lambda: f"{value!r} is not a date and time (such as 2026-03-05 14:30)",
        "cast_boolean": lambda: f"{value!r} is not yes or no (是/否, Y/N, 1/0, true/false)",
        "cast_choice": lambda: f"{value!r} is not one of " + ", ".join(str(v) for v in params["options"]),
        "cast_unsupported": lambda: "cannot be imported from a spreadsheet cell",
    }
    return texts[code]() if code in texts else str(params.get("text", "is not valid"))


def _join_path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _describe(error: ValidationError) -> tuple[str, dict[str, Any]]:
    """(code, params) of one jsonschema error."""
    kind, value = str(error.validator), error.validator_value
    if kind == "type":
        return kind, {"types": [str(t) for t in (value if isinstance(value, list) else [value])]}
    if kind == "enum":
        return kind, {"options": list(value)}
    if kind == "format":
        return kind, {"format": str(value)}
    if kind in _SIMPLE_CODES:
        return kind, {"value": value}
    # A keyword without a message of its own: jsonschema's English, shown as is everywhere.
    return "other", {"text": error.message}


def _additional_keys(error: ValidationError) -> list[str]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return []
    known = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    return [
        str(key) for key in instance if key not in known and not any(search(p, str(key)) for p in patterns)
    ]


def _messages(error: ValidationError) -> list[tuple[str, tuple[str, dict[str, Any]]]]:
    """Turn one jsonschema error into (field path, (code, params)) pairs."""
    base = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(_join_path([*base, name]), ("required", {})) for name in missing]
    if error.validator == "additionalProperties" and error.validator_value is False:
        extra = _additional_keys(error)
        if extra:
            return [(_join_path([*base, key]), ("unknown_field", {})) for key in extra]
    return [(_join_path(base), _describe(error))]


def _field_message(path: str, code: str, params: dict[str, Any]) -> FieldMessage:
    text = english(code, params)
    # API clients see which field a message is about in the text itself.
    return FieldMessage(f"{path}: {text}" if path else text, code, params)


def _collect_errors(form: _CompiledForm, instance: dict[str, Any]) -> dict[str, str]:
    best: dict[str, tuple[int, tuple[str, dict[str, Any]]]] = {}
    for error in form.validator.iter_errors(instance):
        rank = _PRIORITY.get(str(error.validator), 1)
        for path, message in _messages(error):
            if path not in best or rank < best[path][0]:
                best[path] = (rank, message)
    order = {name: index for index, name in enumerate(form.field_order)}

    def sort_key(path: str) -> tuple[int, str]:
        # Report in form order so the list reads top to bottom like the form.
        return (order.get(path.split(".", 1)[0], len(order)), path)

    return {path: _field_message(path, *best[path][1]) for path in sorted(best, key=sort_key)}


def validate_submission(schema: dict | None, variables: object,
                        current: Mapping[str, Any] | None = None) -> dict:
    """Return a cleaned copy of ``variables`` or raise FormValidationError.

    Read-only fields are dropped (the user may not change them) and integer fields
    given as integral floats (5.0) are stored as ints; the input is never mutated.
    With ``current`` (the instance's variables), a read-only field sent with another value than
    its current one is an error, as Camunda's readonly validator makes it: a change is never dropped
    silently. Sending the value shown (a client echoing the form back) is fine.
    """
    if not isinstance(variables, dict):
        raise FormValidationError({"": _field_message("", "not_object", {})})
    if not schema or not schema.get("properties"):
        return copy.deepcopy(variables)
    schema = accepting_references(schema, variables)
    form = _compile(json.dumps(schema, sort_keys=True), tuple(schema["properties"]))
    cleaned = {key: copy.deepcopy(value) for key, value in variables.items() if key not in form.read_only}
    errors = _collect_errors(form, cleaned)
    if current is not None:
        for name in form.read_only:
            if name in variables and variables[name] != current.get(name):
                errors[name] = _field_message(name, "read_only", {})
    if errors:
        raise FormValidationError(errors)
    for name, field_type, prop in form.cleaners:
        if name in cleaned:
            cleaned[name] = field_type.clean(prop, cleaned[name])
    return cleaned


def validate_form(schema: dict[str, Any] | None, variables: dict[str, Any],
                  with_files: bool = False, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``validate_submission`` for the services: FormInvalid (422 with per-field messages) on failure.

    ``with_files``: the web form stored the uploads itself, so file fields hold stored-file references."""
    try:
        return validate_submission(validation_schema(schema) if with_files else schema, variables, current)
    except FormValidationError as exc:
        raise FormInvalid(exc.errors) from exc


def property_checks(schema: dict[str, Any]) -> dict[str, Any]:
    """For each top-level property of ``schema``: a function telling whether a value passes that property's
    schema — the compiled form's own validator, descended once instead of on every submission. A bulk
    writer checks many values with it and asks ``validate_submission`` for the messages only on a failure.
    Read-only properties accept anything (``validate_submission`` strips them before checking)."""
    form = _compile(json.dumps(schema, sort_keys=True), tuple(schema.get("properties") or {}))
    return {name: (_accept if name in form.read_only else form.validator.evolve(schema=prop).is_valid)
            for name, prop in (schema.get("properties") or {}).items()}


def _accept(value: Any) -> bool:
    return True
