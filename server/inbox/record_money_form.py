"""A money field with a currency per record on the record form: two inputs, the amount and a currency
choice, for the one value ``{"amount", "currency"}`` the records engine takes (server/records/money.py).

The task forms' renderer draws one input per schema property, so the form's schema has the amount under
the field's key and the currency under ``<key>__currency``; what is posted is joined back into one value
before the records service validates it, and the validator's messages (``price.currency``) are put
beside the input they are about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from server.records import money
from server.records.money import currency_column, per_record


def _keys(fields: list[dict[str, Any]]) -> list[str]:
    return [f["key"] for f in fields if per_record(f)]


def flat_schema(schema: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    keys = set(_keys(fields))
    if not keys & set(schema["properties"]):
        return schema
    properties: dict[str, Any] = {}
    required = list(schema.get("required", []))
    for key, prop in schema["properties"].items():
        if key not in keys:
            properties[key] = prop
            continue
        shared = {k: v for k, v in prop.items() if k in ("title", "description", "readOnly")}
        properties[key] = {**prop["properties"]["amount"], **shared}
        properties[currency_column(key)] = {
            **prop["properties"]["currency"], "readOnly": prop.get("readOnly", False),
            "title": _("%(field)s: currency", field=prop.get("title", key))}
        if key in required:
            required.append(currency_column(key))
    return {**schema, "properties": properties, "required": required}


def flat_values(values: Mapping[str, Any] | None, fields: list[dict[str, Any]]) -> dict[str, Any] | None:
    if values is None:
        return None
    flat = dict(values)
    for key in _keys(fields):
        value = flat.get(key)
        if isinstance(value, Mapping):
            flat[key], flat[currency_column(key)] = value.get("amount"), value.get("currency")
    return flat


def joined(values: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    return money.joined_form(values, fields)


def flat_errors(errors: dict[str, str] | None, fields: list[dict[str, Any]]) -> dict[str, str] | None:
    if not errors:
        return errors
    moved = dict(errors)
    for key in _keys(fields):
        if f"{key}.currency" in moved:
            moved[currency_column(key)] = moved.pop(f"{key}.currency")
        if f"{key}.amount" in moved:
            moved[key] = moved.pop(f"{key}.amount")
    return moved
