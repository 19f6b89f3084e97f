"""Whole numbers (Camunda ``long``) and decimal numbers; both may be drawn as money."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, tzinfo
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms.registry import CastError, FieldType, register

# 1,234,567.5 / 1 234 567 / 1'234'567 (Swiss): grouping only in threes, so a decimal comma (1,5) is no
# thousands separator and stays unreadable rather than becoming 15.
_GROUPED = re.compile(r"^[+-]?\d{1,3}([,\s'’]\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def number_text(text: str) -> str | None:
    """A typed number's text without thousands separators (full-width digits and commas too); None if it is
    not a number."""
    plain = unicodedata.normalize("NFKC", text).strip().replace("\u00a0", " ")
    if _GROUPED.match(plain):
        plain = re.sub(r"[,\s'’]", "", plain)
    return plain if _NUMBER.match(plain) else None


def form_number(raw: str, integer: bool) -> Any:
    """An input's number; text that is none stays text, for the validator to name."""
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        try:
            number = float(raw)
            return int(number) if integer and number.is_integer() else raw
        except ValueError:
            return raw


def _cell_number(cell: Any, code: str) -> float | int:
    if isinstance(cell, bool | date):
        raise CastError(code, {"value": str(cell)})
    if isinstance(cell, int | float):
        return cell
    text = number_text(str(cell))
    if text is None:
        raise CastError(code, {"value": str(cell)})
    try:
        return int(text)
    except ValueError:
        return float(text)


class _Numeric(FieldType):
    json_type = "number"

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("type") == self.json_type

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return "money" if hints.get("format") == "money" or hints.get("widget") == "money" else "number"

    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        if widget == "money":
            return {"step": "0.01"}
        return {"step": "any"} if self.json_type == "number" else {}

    def from_text(self, raw: str, prop: Mapping[str, Any], form: MultiDict[str, str]) -> Any:
        return form_number(raw, self.json_type == "integer")

    def bound(self, raw: str) -> int | float:
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            return float(raw)
        except ValueError:
            raise ValueError("is not a number") from None


@register
class IntegerField(_Numeric):
    name = "integer"
    camunda_type = "long"
    order = 70
    json_type = "integer"
    bound_keywords = ("minimum", "maximum")

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "integer"}

    def default(self, raw: str, prop: Mapping[str, Any]) -> Any:
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError("is not a whole number") from None

    def clean(self, prop: Mapping[str, Any], value: Any) -> Any:
        # JSON has one number type: a client's 5.0 is the integer 5.
        return int(value) if isinstance(value, float) and value.is_integer() else value

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        number = _cell_number(cell, "cast_integer")
        if isinstance(number, float):
            if not number.is_integer():
                raise CastError("cast_integer", {"value": str(cell)})
            return int(number)
        return number


@register
class NumberField(_Numeric):
    name = "number"
    order = 71
    json_type = "number"
    bound_keywords = ("minimum", "maximum")

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "number"}

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        return _cell_number(cell, "cast_number")
