"""The designer's palette: the field kinds a designer adds with a click or a drag, with their names in the
user's language.

Only kinds the designer's form configures completely are on it. Relations, auto-numbers, formulas,
lookups, rollups and sub-tables need settings the form has no inputs for (a target, a pattern, an
expression); they are designed in the ``*.record.json`` file, and the form keeps those settings on save.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

PALETTE: dict[str, LazyString] = {
    "text": _l("Text"),
    "long_text": _l("Long text"),
    "integer": _l("Integer"),
    "decimal": _l("Decimal"),
    "money": _l("Money"),
    "percent": _l("Percent"),
    "boolean": _l("Yes or no"),
    "date": _l("Date"),
    "datetime": _l("Date and time"),
    "select": _l("Single select"),
    "multi_select": _l("Multi select"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "url": _l("Web address"),
    "user": _l("User"),
    "group": _l("Group"),
    "attachment": _l("Attachment"),
}
