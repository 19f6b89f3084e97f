"""Tables of rows (an array of objects whose properties are all simple fields), and what the web form
cannot show (nested objects, other lists).

An array of objects is a table of rows ("rows"): cell ``lines-1-qty`` is ``lines[1].qty``; rows are read
in index order with fully empty ones skipped, so the validator's ``lines.1.qty`` names the second
non-empty row, which is also the second row shown when the form comes back with messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms import registry
from server.forms.registry import FieldType, register


def cells_of(items: Mapping[str, Any]) -> bool:
    """Whether every property of a row is a type that can be a cell (no lists, files or objects)."""
    return all(registry.of(p).cell for p in items["properties"].values())


def parse_rows(name: str, items: Mapping[str, Any], form: MultiDict[str, str]) -> list[dict[str, Any]]:
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)-")
    # Indices may have gaps (rows removed in the browser); their order is the order of the rows.
    indices = sorted({int(m.group(1)) for key in form if (m := pattern.match(key))})
    rows = []
    for index in indices:
        row, given = {}, False
        for column, prop in items["properties"].items():
            field_type = registry.of(prop)
            present, value = field_type.parse(prop, form, f"{name}-{index}-{column}")
            if field_type.always_given(prop):
                row[column] = value
                given = given or bool(value)
            elif present:
                row[column] = value
                given = True
        if given:  # a row left entirely empty is no row at all
            rows.append(row)
    return rows


@register
class RowsField(FieldType):
    name = "rows"
    order = 30
    cell = False

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        items = prop.get("items")
        if prop.get("type") != "array" or not isinstance(items, Mapping):
            return False
        return items.get("type") == "object" and bool(items.get("properties")) and cells_of(items)

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        rows = parse_rows(key, prop["items"], form)
        return bool(rows), rows  # no row at all is absent, so a required list is reported as missing


@register
class UnsupportedField(FieldType):
    """Shown as a note that the web form cannot fill it; the API still can."""

    name = "unsupported"
    order = 40
    cell = False

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("type") in ("array", "object")

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        if prop.get("type") == "array":
            return key in form, form.getlist(key)
        return super().parse(prop, form, key)
