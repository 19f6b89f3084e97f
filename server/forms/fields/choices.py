"""Choices: a checkbox (boolean), one of a list (enum: radio buttons or a drop-down), several of a list."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms import registry
from server.forms.fields.text import cell_text
from server.forms.registry import CastError, FieldType, register

RADIO_UP_TO = 3  # a few options read faster as radio buttons than hidden in a drop-down
CHECKED = ("on", "true", "1", "yes")
# What people write in a yes/no column, compared case-folded (full-width letters folded too).
YES = frozenset({"true", "t", "yes", "y", "1", "on", "x", "√", "✓", "✔", "是", "对", "真", "有", "已"})
NO = frozenset({"false", "f", "no", "n", "0", "off", "×", "✗", "✘", "否", "错", "假", "无", "未"})
# Several choices in one cell: 红, 绿 / red;green / one per line.
_SEPARATORS = re.compile(r"\s*[,;、\n]\s*")


@register
class BooleanField(FieldType):
    name = "boolean"
    camunda_type = "boolean"
    order = 60

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("type") == "boolean"

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return "checkbox"

    def default(self, raw: str, prop: Mapping[str, Any]) -> Any:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError("is not true or false")
        return lowered == "true"

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        return key in form, form.get(key) in CHECKED

    def always_given(self, prop: Mapping[str, Any]) -> bool:
        return True  # an unticked checkbox sends nothing and means false

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, int | float) and cell in (0, 1):
            return bool(cell)
        word = unicodedata.normalize("NFKC", str(cell)).strip().casefold()
        if word in YES:
            return True
        if word in NO:
            return False
        raise CastError("cast_boolean", {"value": str(cell)})


def _plain(prop: Mapping[str, Any]) -> FieldType:
    """The type the property would be without its list of options (what its values are)."""
    return registry.of({k: v for k, v in prop.items() if k not in ("enum", "x-enumNames")})


def _option(options: list[Any], names: list[Any], cell: Any) -> Any:
    """The option a cell names, by value or by its shown name (people type what they see)."""
    text = unicodedata.normalize("NFKC", cell_text(cell)).strip()
    for value in options:
        if cell == value or text == str(value):
            return value
    for value, name in zip(options, names, strict=False):
        if text.casefold() == str(name).casefold():
            return value
    raise CastError("cast_choice", {"value": str(cell), "options": [str(o) for o in options]})


@register
class EnumField(FieldType):
    name = "enum"
    camunda_type = "enum"
    order = 50

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return "enum" in prop

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        values = field.get("enum") or []
        if any(not isinstance(v, dict) or not v.get("id") for v in values):
            raise ValueError("enum value without an id")
        ids = [str(v["id"]) for v in values]
        if len(set(ids)) != len(ids):
            raise ValueError("enum values have duplicate ids")
        return {"type": "string", "enum": ids, "x-enumNames": [str(v.get("name") or v["id"]) for v in values]}

    def default(self, raw: str, prop: Mapping[str, Any]) -> Any:
        if raw not in prop.get("enum", []):
            raise ValueError("is not one of the enum values")
        return raw

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        if hints.get("widget") in ("radio", "select"):
            return str(hints["widget"])
        return "radio" if len(prop["enum"]) <= RADIO_UP_TO else "select"

    # The options' values are integers, booleans or text: read like the plain field of that type.
    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        return _plain(prop).attrs(widget, prop, hints)

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        return _plain(prop).parse(prop, form, key)

    def always_given(self, prop: Mapping[str, Any]) -> bool:
        return _plain(prop).always_given(prop)

    def clean(self, prop: Mapping[str, Any], value: Any) -> Any:
        return _plain(prop).clean(prop, value)

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        options = list(prop.get("enum") or [])
        return _option(options, list(prop.get("x-enumNames") or options), cell)


@register
class MultiSelectField(FieldType):
    name = "multiselect"
    order = 20
    cell = False

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        items = prop.get("items", {})
        return prop.get("type") == "array" and isinstance(items, Mapping) and "enum" in items

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        chosen = form.getlist(key)
        if prop.get("items", {}).get("type") == "integer":  # ids of records: what cannot be read stays text
            chosen = [int(c) if c.isascii() and c.isdigit() and len(c) < 10 else c for c in chosen]
        return key in form, chosen

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        items = prop.get("items", {})
        options = list(items.get("enum") or [])
        names = list(items.get("x-enumNames") or options)
        parts = cell if isinstance(cell, list) else [p for p in _SEPARATORS.split(cell_text(cell)) if p]
        return list(dict.fromkeys(_option(options, names, part) for part in parts))
