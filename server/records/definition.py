"""A record type's definition (JSON) read strictly: every key known, every value checked, or a 400 naming it.

    {"key": "contract", "name": {"en": "Contract", "zh": "合同"},
     "fields": [{"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "money", "currency": "CNY",
                 "required": true, "unique": false, "default": "0.00", "help": {"en": "...", "zh": "..."},
                 "validation": {"min": "0"}, "list": true}],
     "permissions": [{"roles": ["staff"], "actions": ["read", "create"], "fields": ["amount"]}]}

What this slice cannot do yet (relations, formulas, ...) is refused here, never accepted and ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from server.auth.permissions.records import RecordPolicy
from server.errors import BadRequest, BomsError
from server.forms.patterns import PatternError, compiled
from server.forms.validation import FormValidationError, validate_submission
from server.records import money
from server.records.computed import check_computed
from server.records.fields import KINDS, MAX_DIGITS, DecimalKind
from server.records.kinds_extra import SUB_FIELD_KINDS

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)
FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)

COLOR = re.compile(r"#[0-9a-fA-F]{6}", re.ASCII)
SYSTEM_FIELDS = ("id", "version", "created_at", "created_by", "updated_at", "updated_by")
TOP_KEYS = frozenset({"key", "name", "fields", "permissions", "recordType"})
FIELD_KEYS = frozenset({"key", "label", "type", "required", "unique", "default", "help", "validation", "list",
                        "indexed"})
UNINDEXABLE = ("long_text", "sub_table")  # long text passes what a b-tree entry holds; a sub-table is a document
MAX_FIELDS = 200
MAX_OPTIONS = 500


def _bad(message: str, field: str) -> BadRequest:
    return BadRequest(message, field=field)


def _texts(value: Any, where: str, field: str, required: bool = True) -> dict[str, str]:
    """{"en": ..., "zh": ...}: both languages, as the pages show both."""
    if not required and value is None:
        return {}
    if not isinstance(value, Mapping) or set(value) != {"en", "zh"} or not all(
            isinstance(v, str) and v.strip() and len(v) <= 255 for v in value.values()):
        raise _bad(f"{where} must be {{\"en\": text, \"zh\": text}} (1 to 255 characters each)", field)
    return {"en": value["en"].strip(), "zh": value["zh"].strip()}


def _options(raw: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_OPTIONS:
        raise _bad(f"{where}: 'options' must be a list of 1 to {MAX_OPTIONS} options", "options")
    seen: set[str] = set()
    options = []
    for index, option in enumerate(raw):
        at = f"{where} option {index + 1}"
        if not isinstance(option, Mapping) or set(option) - {"value", "label", "color"}:
            raise _bad(f"{at} must be {{\"value\": ..., \"label\": {{\"en\", \"zh\"}}, \"color\": \"#rrggbb\"}} "
                       "(color optional)", "options")
        value = option.get("value")
        if not isinstance(value, str) or not value.strip() or len(value) > 100 or value in seen:
            raise _bad(f"{at}: 'value' must be distinct text of 1 to 100 characters", "options")
        seen.add(value)
        entry = {"value": value, "label": _texts(option.get("label"), f"{at} label", "options")}
        if "color" in option:
            if not isinstance(option["color"], str) or not COLOR.fullmatch(option["color"]):
                raise _bad(f"{at}: 'color' must be a colour written #rrggbb, such as \"#2e7d32\"", "options")
            entry["color"] = option["color"].lower()
        options.append(entry)
    return options


def _decimal(value: Any, where: str) -> str:
    try:
        number = Decimal(str(value)) if isinstance(value, int | str) and not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _bad(f"{where} must be a number written as text, such as \"1000.00\"", "validation")
    return str(number)


def _validation(raw: Any, kind_name: str, where: str) -> dict[str, Any]:
    kind = KINDS[kind_name]
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _bad(f"{where}: 'validation' must be an object", "validation")
    unknown = sorted(set(raw) - kind.checks)
    if unknown:
        allowed = ", ".join(sorted(kind.checks)) or "none"
        raise _bad(f"{where}: validation {', '.join(unknown)} does not apply to {kind_name} (allowed: {allowed})",
                   "validation")
    checks: dict[str, Any] = {}
    for name in ("minLength", "maxLength"):
        if name in raw:
            if not isinstance(raw[name], int) or isinstance(raw[name], bool) or raw[name] < 0:
                raise _bad(f"{where}: validation {name} must be a whole number of 0 or more", "validation")
            checks[name] = raw[name]
    if "pattern" in raw:
        if not isinstance(raw["pattern"], str):
            raise _bad(f"{where}: validation pattern must be text", "validation")
        try:
            compiled(raw["pattern"])
        except (PatternError, ValueError) as exc:
            raise _bad(f"{where}: validation pattern is not a valid regular expression: {exc}", "validation") from None
        checks["pattern"] = raw["pattern"]
    for name in ("min", "max"):
        if name in raw:
            if isinstance(kind, DecimalKind):
                checks[name] = _decimal(raw[name], f"{where}: validation {name}")
            elif isinstance(raw[name], int) and not isinstance(raw[name], bool):
                checks[name] = raw[name]
            else:
                raise _bad(f"{where}: validation {name} must be a whole number", "validation")
    low, high = checks.get("min"), checks.get("max")
    if low is not None and high is not None and Decimal(str(low)) > Decimal(str(high)):
        raise _bad(f"{where}: validation min is above max", "validation")
    if checks.get("minLength", 0) > checks.get("maxLength", 10**9):
        raise _bad(f"{where}: validation minLength is above maxLength", "validation")
    return checks


def _field(raw: Any, index: int, type_key: str, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    where = f"record type '{type_key}' field {index + 1}"
    if not isinstance(raw, Mapping):
        raise _bad(f"{where} must be an object", "fields")
    key = raw.get("key")
    if not isinstance(key, str) or not FIELD_KEY.fullmatch(key):
        raise _bad(f"{where}: 'key' must be lower-case letters, digits and _ (starting with a letter, at most 63)",
                   "fields")
    where = f"record type '{type_key}' field '{key}'"
    if key in SYSTEM_FIELDS:
        raise _bad(f"{where}: '{key}' is a system field ({', '.join(SYSTEM_FIELDS)})", key)
    kind_name = raw.get("type")
    if kind_name not in (kinds or KINDS):
        raise _bad(f"{where}: 'type' must be one of {', '.join(kinds or KINDS)}, not {kind_name!r}", key)
    kind = KINDS[kind_name]
    unknown = sorted(set(raw) - FIELD_KEYS - kind.extra)
    if unknown:
        raise _bad(f"{where}: unknown key(s) {', '.join(unknown)} for a {kind_name} field", key)
    field: dict[str, Any] = {"key": key, "label": _texts(raw.get("label"), f"{where}: 'label'", key),
                             "type": kind_name}
    for flag in ("required", "unique", "list"):
        value = raw.get(flag, flag == "list")
        if not isinstance(value, bool):
            raise _bad(f"{where}: '{flag}' must be true or false", key)
        field[flag] = value
    field.update(kind.configure(raw, where))
    if field["unique"] and not kind.can_unique:
        raise _bad(f"{where}: a {kind_name} field cannot be unique", key)
    _indexed(raw, field, where)
    if "help" in raw:
        field["help"] = _texts(raw["help"], f"{where}: 'help'", key)
    if "options" in kind.extra:
        field["options"] = _options(raw.get("options"), where)
    if "currency" in kind.extra:
        field.update(money.configure(raw, where, key))
        if kinds is not None and "currencies" in field:
            raise _bad(f"{where}: a sub-table's money field has one 'currency' (a currency per row is not "
                       "supported)", key)
    if "scale" in kind.extra and "scale" in raw:
        scale = raw["scale"]
        if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= 8:
            raise _bad(f"{where}: 'scale' must be a whole number from 0 to 8", key)
        field["scale"] = scale
    if kind_name == "sub_table":
        field["fields"] = _sub_fields(raw.get("fields"), type_key, key)
    field["validation"] = _validation(raw.get("validation"), kind_name, where)
    length = field["validation"].get("maxLength")
    if length is not None and length > getattr(kind, "ceiling", MAX_DIGITS):
        raise _bad(f"{where}: validation maxLength is above what a {kind_name} field holds ({kind.ceiling})", key)
    if "default" in raw and raw["default"] is not None:
        schema = {"type": "object", "properties": {key: kind.schema(field)}}
        try:
            validate_submission(schema, {key: raw["default"]})
        except FormValidationError as exc:
            raise _bad(f"{where}: the default {exc.errors.get(key, 'is not valid')}", key) from None
        field["default"] = raw["default"]
    return field


def _indexed(raw: Mapping[str, Any], field: dict[str, Any], where: str) -> None:
    """``indexed``: the designer asks for an index on the field (server/records/indexes.py). Written into the
    definition only when true, so the definitions saved before it keep their checksum."""
    value = raw.get("indexed", False)
    if not isinstance(value, bool):
        raise _bad(f"{where}: 'indexed' must be true or false", field["key"])
    if not value:
        return
    kind = KINDS[field["type"]]
    many = field["type"] == "relation" and field.get("multiple")
    if field["type"] in UNINDEXABLE or not (kind.stored(field) or many):
        raise _bad(f"{where}: a {field['type']} field cannot be indexed" + (
            "" if field["type"] in UNINDEXABLE else " (it is computed when read)"), field["key"])
    field["indexed"] = True


def _sub_fields(raw: Any, type_key: str, key: str) -> list[dict[str, Any]]:
    where = f"{type_key}.{key}"
    if not isinstance(raw, list) or not raw or len(raw) > 50:
        raise _bad(f"record type '{type_key}' field '{key}': 'fields' must be a list of 1 to 50 sub-fields", key)
    fields = [_field(f, i, where, SUB_FIELD_KINDS) for i, f in enumerate(raw)]
    for sub in fields:
        if sub["unique"] or sub.get("indexed") or (isinstance(KINDS[sub["type"]], DecimalKind)
                                                   and sub["validation"]):
            raise _bad(f"record type '{type_key}' sub-field '{key}.{sub['key']}': unique, indexed and decimal "
                       "bounds are not supported in a sub-table", key)
    keys = [f["key"] for f in fields]
    if len(set(keys)) != len(keys):
        raise _bad(f"record type '{type_key}' field '{key}': a sub-field key appears more than once", key)
    return fields


def read_definition(raw: Any, key: str | None = None) -> dict[str, Any]:
    """The normalized definition; ``key``: the key the URL names (PUT), which the body must match if it has one."""
    if isinstance(raw, Mapping) and isinstance(raw.get("recordType"), Mapping):
        raw = raw["recordType"]  # the deployable file's form: {"recordType": {...}}
    if not isinstance(raw, Mapping):
        raise _bad("a record type must be a JSON object", "recordType")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise _bad(f"record type: unknown key(s) {', '.join(unknown)}", unknown[0])
    given = raw.get("key", key)
    if key is not None and given != key:
        raise _bad(f"the record type's key {given!r} is not the key in the address ({key!r})", "key")
    if not isinstance(given, str) or not KEY.fullmatch(given):
        raise _bad("record type 'key' must be lower-case letters, digits and _ (starting with a letter, at most 40)",
                   "key")
    fields_raw = raw.get("fields")
    if not isinstance(fields_raw, list) or not fields_raw or len(fields_raw) > MAX_FIELDS:
        raise _bad(f"record type '{given}': 'fields' must be a list of 1 to {MAX_FIELDS} fields", "fields")
    fields = [_field(f, i, given) for i, f in enumerate(fields_raw)]
    keys = [f["key"] for f in fields]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise _bad(f"record type '{given}': field key(s) {', '.join(duplicates)} appear more than once",
                   duplicates[0])
    check_computed(given, fields)
    permissions = raw.get("permissions", [])
    if not isinstance(permissions, list):
        raise _bad(f"record type '{given}': 'permissions' must be a list of grants", "permissions")
    try:
        RecordPolicy.from_config(given, permissions, known_fields=[*keys, *SYSTEM_FIELDS])
    except BomsError as exc:
        raise _bad(exc.message, "permissions") from None
    return {"key": given, "name": _texts(raw.get("name"), f"record type '{given}': 'name'", "name"),
            "fields": fields, "permissions": list(permissions)}


def checksum(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def json_schema(definition: Mapping[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of a record (of the fields named, all if None): what the one validator checks."""
    chosen = [f for f in definition["fields"] if fields is None or f["key"] in fields]
    properties = {}
    for field in chosen:
        prop = KINDS[field["type"]].schema(field)
        prop["title"] = field["label"]["en"]
        prop["x-label"] = field["label"]
        if "help" in field:
            prop["description"] = field["help"]["en"]
        properties[field["key"]] = prop
    return {"type": "object", "title": definition["name"]["en"], "properties": properties,
            "required": [f["key"] for f in chosen if f["required"]], "additionalProperties": False}
