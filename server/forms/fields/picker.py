"""A relation to records of another type on a staff form: record numbers typed into one text input (several
separated by commas), which server/static/record_picker.js turns into a search-as-you-type picker.

Only the staff pages' record schemas carry ``x-picker`` (server/records/workspace.py adds it, with the labels
of the records the field holds as ``x-labels``); the API's schema and imports read a relation as plain ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms.registry import FieldType, register

_SEPARATORS = re.compile(r"[\s,，、;]+")
MAX_PARTS = 1000  # a relation to many holds at most this many anyway (the validator says so beyond)


def record_number(part: str) -> int | str:
    """``12`` or ``#12`` as the id; anything else stays text, for the validator to refuse naming the field."""
    digits = part.lstrip("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else part


@register
class RecordPickerField(FieldType):
    name = "record_picker"
    order = 12  # before lists of choices and numbers: a relation's values are record ids
    cell = False
    macro = "records/_picker.html:picker"

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return "x-picker" in prop

    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        return {"picker": prop["x-picker"], "labels": dict(prop.get("x-labels") or {}),
                "multiple": prop.get("type") == "array"}

    def shown(self, value: Any, attrs: dict[str, Any]) -> Any:
        """The values as a list; ``held``: those naming a record the reader may see, with its label;
        ``typed``: the rest as typed (a number of no such record, a word), left in the input."""
        parts = [] if value is None or value == "" else value if isinstance(value, list) else [value]
        found: list[Any] = []
        for part in parts:
            found += [record_number(p) for p in _SEPARATORS.split(part) if p] if isinstance(part, str) else [part]
        labels = attrs["labels"]
        attrs["held"] = [(v, labels[str(v)]) for v in found if str(v) in labels]
        attrs["typed"] = ", ".join(str(v) for v in found if str(v) not in labels)
        return found

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        # One hidden input per record the picker chose, or one text input of numbers typed (no script).
        parts = [p for raw in form.getlist(key) for p in _SEPARATORS.split(raw) if p][:MAX_PARTS + 1]
        if not parts:
            return False, None
        values = [record_number(p) for p in parts]
        if prop.get("type") == "array":
            return True, list(dict.fromkeys(values))
        # One record: two given is no record number (the validator names the field), not the first of them.
        return True, values[0] if len(values) == 1 else ", ".join(parts)
