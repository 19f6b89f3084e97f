"""Exact decimals (money) and web addresses: types record fields need that Camunda forms do not have.

A decimal travels as text ("1234.50", format "decimal"), so no float ever rounds it; a URL is text with
format "uri" limited to http(s) addresses by its pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from werkzeug.datastructures import MultiDict

from server.forms.fields.text import TextField
from server.forms.registry import CastError, register

URL_PATTERN = r"^https?://[^\s/?#]+[^\s]*$"


def decimal_pattern(scale: int, digits: int = 18) -> str:
    """Text of an exact decimal with at most ``scale`` places and ``digits`` digits before the point."""
    whole = digits - scale
    return rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{1,{scale}}})?$" if scale else rf"^-?[0-9]{{1,{whole}}}$"


@register
class UrlField(TextField):
    name = "url"
    camunda_type: ClassVar[str | None] = None
    order = 83

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "uri"

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return "url"


@register
class DecimalField(TextField):
    name = "decimal"
    camunda_type: ClassVar[str | None] = None
    order = 84

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "decimal"

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return "text"

    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        return {"inputmode": "decimal"}

    def from_text(self, raw: str, prop: Mapping[str, Any], form: MultiDict[str, str]) -> Any:
        return raw.replace(",", "") if raw.count(",") and "." in raw else raw

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        if isinstance(cell, bool):
            raise CastError("cast_number", {"value": str(cell)})
        try:
            # A float cell is what the spreadsheet shows (its shortest repr), not its binary expansion.
            return str(Decimal(repr(cell) if isinstance(cell, float) else str(cell)))
        except InvalidOperation:
            raise CastError("cast_number", {"value": str(cell)}) from None
