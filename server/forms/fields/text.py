"""Text fields: one line, several lines, an email address. Plain text is the type of last resort."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any, ClassVar

from server.forms.registry import FieldType, register

TEXTAREA_OVER = 200


def cell_text(cell: Any) -> str:
    """A cell as the text it shows: calamine reads 00123 typed as a number as 123.0, a date as a date."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(timespec="seconds") if cell.time() != datetime.min.time() else cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


@register
class TextField(FieldType):
    name = "text"
    camunda_type = "string"
    order = 1000  # everything that no other type recognises is shown and read as text

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return True

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        if hints.get("widget") == "textarea" or prop.get("maxLength", 0) > TEXTAREA_OVER or name.endswith("Comment"):
            return "textarea"
        return "text"

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        return cell_text(cell)


@register
class EmailField(TextField):
    name = "email"
    camunda_type: ClassVar[str | None] = None
    order = 81

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "email"

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return "email"
