"""Money fields whose currency is chosen per record (``"currencies": ["CNY", "USD", "EUR"]`` instead of one
``"currency"``): an exact amount and its ISO 4217 code, in two columns.

The value in JSON is ``{"amount": "1200.50", "currency": "USD"}``; the table holds the amount in the
field's NUMERIC column and the code in ``<key>__currency`` (both null, or both set). Inside the engine a
validated value is a ``Money`` pair until ``columns_of`` splits it for a write, and ``fold`` joins the two
columns of a loaded row back into one.

Amounts in different currencies are never compared or added as if they were one number:

- a filter cannot compare the bare amount (a 400 names the field and what to write instead); it may
  compare one currency's amounts as ``price.USD`` (null for the other records) and test ``price.currency``;
- sorting by the field sorts by currency, then amount;
- analytics refuse to sum, average or take the min/max of such a field unless the currency is a group;
- min/max validation, defaults, unique and use in sub-tables are refused at save: each would need a
  currency to mean anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, case

from server.errors import BadRequest

CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
MAX_CURRENCIES = 30
SUFFIX = "__currency"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


def per_record(field: Mapping[str, Any]) -> bool:
    return field.get("type") == "money" and "currencies" in field


def currency_column(key: str) -> str:
    return f"{key}{SUFFIX}"


def configure(raw: Mapping[str, Any], where: str, key: str) -> dict[str, Any]:
    """A money field's currency: exactly one of ``currency`` (one code) or ``currencies`` (the codes a
    record may choose from), checked; BadRequest naming the field otherwise."""
    if "currency" in raw and "currencies" in raw:
        raise BadRequest(f"{where}: give 'currency' (one for every record) or 'currencies' (chosen per record), "
                         "not both", field=key)
    if "currencies" not in raw:
        if not isinstance(raw.get("currency"), str) or not CURRENCY.fullmatch(raw["currency"]):
            raise BadRequest(f"{where}: 'currency' must be an ISO 4217 code such as CNY or EUR", field=key)
        return {"currency": raw["currency"]}
    codes = raw["currencies"]
    if not isinstance(codes, list) or not 1 <= len(codes) <= MAX_CURRENCIES \
            or not all(isinstance(c, str) and CURRENCY.fullmatch(c) for c in codes):
        raise BadRequest(f"{where}: 'currencies' must list 1 to {MAX_CURRENCIES} ISO 4217 codes such as "
                         "[\"CNY\", \"USD\"]", field=key)
    if len(set(codes)) != len(codes):
        raise BadRequest(f"{where}: 'currencies' names a currency twice", field=key)
    for name in ("unique", "default"):
        if raw.get(name) not in (None, False):
            raise BadRequest(f"{where}: a money field with a currency per record cannot have '{name}' (amounts "
                             "in different currencies are not comparable)", field=key)
    if {"min", "max"} & set(raw.get("validation") or {}):
        raise BadRequest(f"{where}: a money field with a currency per record cannot have min/max validation "
                         "(a bound would need a currency)", field=key)
    return {"currencies": list(codes)}


def schema(field: Mapping[str, Any], amount: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["amount", "currency"], "additionalProperties": False,
            "properties": {"amount": dict(amount), "currency": {"type": "string", "enum": field["currencies"]}},
            "x-currencies": field["currencies"]}


def to_db(value: Any) -> Money | None:
    if value is None:
        return None
    return Money(Decimal(value["amount"]), value["currency"])


def to_json(field: Mapping[str, Any], value: Any, scale: int) -> Any:
    if value is None:
        return None
    if not isinstance(value, Money):  # a loaded amount whose currency column was not read
        raise TypeError(f"field '{field['key']}': an amount without its currency")
    return {"amount": f"{value.amount:.{scale}f}", "currency": value.currency}


def fields_of(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in definition["fields"] if per_record(f)]


def columns_of(definition: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as table columns: each ``Money`` split into its amount and its currency column."""
    keys = {f["key"] for f in fields_of(definition)}
    if not keys:
        return dict(values)
    result: dict[str, Any] = {}
    for key, value in values.items():
        if key in keys:
            result[key] = value.amount if isinstance(value, Money) else None
            result[currency_column(key)] = value.currency if isinstance(value, Money) else None
        else:
            result[key] = value
    return result


def fold(definition: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """A loaded row (a mapping of columns) with each per-record money field as one ``Money`` value."""
    record = dict(row)
    for field in fields_of(definition):
        key = field["key"]
        if key in record and not isinstance(record[key], Money):
            amount, code = record[key], record.pop(currency_column(key), None)
            record[key] = None if amount is None or code is None else Money(Decimal(amount), code)
    return record


def filter_columns(field: Mapping[str, Any], amount: Any, code: Any) -> dict[str, Any]:
    """What a filter may name of the field: ``<key>.currency`` and, per allowed currency, ``<key>.<CODE>``
    (the amount when the record is in that currency, else null, which no comparison matches)."""
    key = field["key"]
    columns: dict[str, Any] = {f"{key}.currency": code}
    for currency in field["currencies"]:
        columns[f"{key}.{currency}"] = case((code == currency, amount), else_=None).label(f"{key}.{currency}")
    return columns


def refused_filter(name: str, columns: Mapping[str, Any]) -> BadRequest | None:
    """The message for a filter naming a per-record-currency amount bare (None: the name is something else)."""
    if f"{name}.currency" not in columns:
        return None
    codes = sorted(n.split(".", 1)[1] for n in columns if n.startswith(f"{name}.") and n != f"{name}.currency")
    return BadRequest(f"filter: field '{name}' holds amounts in several currencies ({', '.join(codes)}), which "
                      f"are not compared as one number: compare one currency's amounts as {name}.{codes[0]} "
                      f"(records in other currencies never match), or test {name}.currency", field="filter")


COLUMN_TYPE = String(3)


def flat_form(schema: dict[str, Any], fields: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A record form's schema for a form renderer that draws one input per property: each per-record money
    field as its amount (under its key) and a currency choice (``<key>__currency``, marked ``x-currency-of``),
    each with the default the field's property had."""
    keys = {f["key"] for f in fields if per_record(f)} & set(schema["properties"])
    if not keys:
        return schema
    properties: dict[str, Any] = {}
    required = list(schema.get("required", []))
    for key, prop in schema["properties"].items():
        if key not in keys:
            properties[key] = prop
            continue
        shared = {k: v for k, v in prop.items() if k in ("title", "description", "readOnly")}
        default = prop.get("default") if isinstance(prop.get("default"), Mapping) else {}
        properties[key] = {**prop["properties"]["amount"], **shared,
                           **({"default": default["amount"]} if "amount" in default else {})}
        properties[currency_column(key)] = {
            **prop["properties"]["currency"], "readOnly": prop.get("readOnly", False), "x-currency-of": key,
            **({"default": default["currency"]} if "currency" in default else {})}
        if key in required:
            required.append(currency_column(key))
    order = [n for k in schema.get("x-order", []) for n in ((k, currency_column(k)) if k in keys else (k,))]
    return {**schema, "properties": properties, "required": required, **({"x-order": order} if order else {})}


def joined_form(values: Mapping[str, Any], fields: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Posted form values with each amount and currency pair as one value (both empty: null, when the
    form sent either; one of the two alone goes on, for the validator to name what is missing)."""
    result = dict(values)
    for key in (f["key"] for f in fields if per_record(f)):
        companion = currency_column(key)
        if (key not in result and companion not in result) or (
                isinstance(result.get(key), Mapping) and companion not in result):
            continue  # not on the form, or already one value
        amount, code = result.pop(key, None), result.pop(companion, None)
        result[key] = None if amount is None and code is None else {
            k: v for k, v in (("amount", amount), ("currency", code)) if v is not None}
    return result


def form_messages(errors: Mapping[str, Any]) -> dict[str, Any]:
    """The validator's messages keyed by the form's inputs: ``price.currency`` beside ``price__currency``."""
    return {(currency_column(k[:-len(".currency")]) if k.endswith(".currency") else
             k[:-len(".amount")] if k.endswith(".amount") else k): v for k, v in errors.items()}
