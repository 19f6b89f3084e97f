"""The field kinds of a record type: each knows its column, its JSON Schema and its JSON <-> database values.

A record field's JSON Schema is drawn by the forms package's field-type registry (text, email, url,
integer, decimal, boolean, date, datetime, enum, multiselect), so a record validates through the same
validator as a task form. Money and decimals are exact: text in JSON ("1234.50"), NUMERIC in the database,
Decimal in Python, never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Numeric, String, Text
from sqlalchemy.types import TypeEngine

from server.forms.fields.exact import URL_PATTERN, decimal_pattern
from server.records import money

# NUMERIC(15, scale): SQLite keeps a NUMERIC value as a double when it has a fraction, and a double holds
# 15 significant digits exactly (16 or more came back rounded: 9999999999999999.99 -> 10000000000000000.00).
MAX_DIGITS = 15
MAX_SAFE_INTEGER = 2**53 - 1  # beyond it a JSON client (JavaScript) silently rounds an integer


@dataclass(frozen=True)
class Kind:
    """How one field type is stored, described and converted."""

    name: ClassVar[str]
    #: configuration keys a field of this kind may carry beyond the common ones
    extra: ClassVar[frozenset[str]] = frozenset()
    #: validation keys it accepts
    checks: ClassVar[frozenset[str]] = frozenset()
    can_unique: ClassVar[bool] = True
    can_filter: ClassVar[bool] = True
    #: a value a client may write (formulas, lookups, rollups and auto-numbers are computed)
    writable: ClassVar[bool] = True

    def stored(self, field: Mapping[str, Any]) -> bool:
        """Whether the field has a column (lookups and rollups over related records are read in SQL)."""
        return True

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        """The kind's own configuration keys read strictly (a BadRequest naming them), normalized."""
        return {}

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        raise NotImplementedError

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        """A validated JSON value as the column stores it."""
        return value

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        return value


def _length(field: Mapping[str, Any], default: int, ceiling: int) -> int:
    return min(int(field.get("validation", {}).get("maxLength", default)), ceiling)


def _text_schema(field: Mapping[str, Any], default: int, ceiling: int) -> dict[str, Any]:
    checks = field.get("validation", {})
    schema: dict[str, Any] = {"type": "string", "maxLength": _length(field, default, ceiling)}
    if "minLength" in checks:
        schema["minLength"] = checks["minLength"]
    if "pattern" in checks:
        schema["pattern"] = checks["pattern"]
    return schema


class TextKind(Kind):
    name = "text"
    checks = frozenset({"minLength", "maxLength", "pattern"})
    ceiling = 255
    default_length = 255

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return String(_length(field, self.default_length, self.ceiling))

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return _text_schema(field, self.default_length, self.ceiling)


class LongTextKind(TextKind):
    name = "long_text"
    ceiling = 100_000
    default_length = 10_000
    can_unique = False

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Text()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().schema(field), "x-widget": "textarea"}


class EmailKind(TextKind):
    name = "email"
    checks = frozenset({"maxLength", "pattern"})
    default_length = ceiling = 254

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().schema(field), "format": "email"}


class UrlKind(TextKind):
    name = "url"
    checks = frozenset({"maxLength"})
    default_length = ceiling = 2048

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().schema(field), "format": "uri", "pattern": URL_PATTERN}


class IntegerKind(Kind):
    name = "integer"
    checks = frozenset({"min", "max"})

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return BigInteger()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        checks = field.get("validation", {})
        return {"type": "integer", "minimum": checks.get("min", -MAX_SAFE_INTEGER),
                "maximum": checks.get("max", MAX_SAFE_INTEGER)}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else int(value)


class DecimalKind(Kind):
    """Exact: text in JSON, NUMERIC in the database. Bounds are checked by the records validator."""

    name = "decimal"
    extra = frozenset({"scale"})
    checks = frozenset({"min", "max"})
    default_scale = 4

    def scale(self, field: Mapping[str, Any]) -> int:
        return int(field.get("scale", self.default_scale))

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Numeric(MAX_DIGITS, self.scale(field), asdecimal=True)

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "decimal", "pattern": decimal_pattern(self.scale(field), MAX_DIGITS)}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else Decimal(value)

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        if value is None:
            return None
        return f"{Decimal(value):.{self.scale(field)}f}"


class MoneyKind(DecimalKind):
    """An exact amount in the field's one currency (ISO 4217 code in the definition), or with a currency
    chosen per record from the field's ``currencies`` (server/records/money.py: an amount and a code)."""

    name = "money"
    extra = frozenset({"scale", "currency", "currencies"})
    default_scale = 2

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        if money.per_record(field):
            return money.schema(field, super().schema(field))
        return {**super().schema(field), "x-currency": field["currency"]}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return money.to_db(value) if money.per_record(field) else super().to_db(field, value)

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        if money.per_record(field):
            return money.to_json(field, value, self.scale(field))
        return super().to_json(field, value)


class BooleanKind(Kind):
    name = "boolean"
    can_unique = False

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Boolean()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


class DateKind(Kind):
    name = "date"

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Date()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else date.fromisoformat(value)

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else value.isoformat()


class DateTimeKind(Kind):
    """Stored as naive UTC (BOMS's convention); given and returned with its zone."""

    name = "datetime"

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return DateTime()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        if value is None:
            return None
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _options(field: Mapping[str, Any]) -> list[str]:
    return [option["value"] for option in field.get("options", [])]


class SelectKind(Kind):
    name = "select"
    extra = frozenset({"options"})

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return String(100)

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "enum": _options(field),
                "x-labels": {o["value"]: o["label"] for o in field.get("options", [])}}


class MultiSelectKind(Kind):
    name = "multi_select"
    extra = frozenset({"options"})
    can_unique = False
    can_filter = False  # a JSON list column: the filter compiler has no "contains one of" for it yet

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return JSON()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": _options(field)},
                "x-labels": {o["value"]: o["label"] for o in field.get("options", [])}}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else list(value)


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    TextKind(), LongTextKind(), EmailKind(), UrlKind(), IntegerKind(), DecimalKind(), MoneyKind(),
    BooleanKind(), DateKind(), DateTimeKind(), SelectKind(), MultiSelectKind())}
