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
    """``money.flat_form`` with each currency input titled in the reader's language."""
    flat = money.flat_form(schema, fields)
    if flat is schema:
        return schema
    for key in set(_keys(fields)) & set(schema["properties"]):
        title = schema["properties"][key].get("title", key)
        flat["properties"][currency_column(key)]["title"] = _("%(field)s: currency", field=title)
    return flat


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
