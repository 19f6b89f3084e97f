"""Record values and field definitions as the staff pages show them, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from server.forms.render import Field
from server.inbox import bp
from server.inbox.routes import inbox_date, inbox_datetime

NUMBER_KINDS = frozenset({"integer", "decimal", "money"})
TEXT_KINDS = frozenset({"text", "email", "url"})


def language() -> str:
    return "zh" if str(get_locale() or "en").startswith("zh") else "en"


@bp.app_template_filter("tr")
def tr(texts: Mapping[str, str] | None) -> str:
    """{"en": ..., "zh": ...} in the reader's language."""
    if not texts:
        return ""
    return texts.get(language()) or texts.get("en") or ""


def option_label(field: Mapping[str, Any], value: Any) -> str:
    option = next((o for o in field.get("options", []) if o["value"] == value), None)
    return tr(option["label"]) if option else str(value)


def option_badge(field: Mapping[str, Any], value: Any) -> str | Markup:
    """An option as read: its label, after a dot of its colour when the designer gave one (an SVG fill, which
    the pages' Content-Security-Policy allows where an inline style would be dropped)."""
    option = next((o for o in field.get("options", []) if o["value"] == value), None)
    if not option or "color" not in option:
        return option_label(field, value)
    return Markup('<span class="text-nowrap" data-option="{0}"><svg width="10" height="10" aria-hidden="true" '
                  'class="me-1"><circle cx="5" cy="5" r="5" fill="{1}"/></svg>{2}</span>').format(
        value, option["color"], tr(option["label"]))


def field_label(field: Mapping[str, Any]) -> str:
    label = tr(field["label"])
    return f"{label} ({field['currency']})" if field["type"] == "money" and "currency" in field else label


@bp.app_template_filter("record_value")
def record_value(value: Any, field: Mapping[str, Any]) -> str | Markup:
    """One field's JSON value for reading: localized numbers and dates, option labels, links."""
    kind = field["type"]
    if value is None or value == "" or value == []:
        return Markup('<span class="text-body-secondary">&mdash;</span>')
    if kind == "boolean":
        return _("yes") if value else _("no")
    if kind == "money" and isinstance(value, Mapping):  # a currency per record: the amount, then its code
        amount = record_value(value.get("amount"), {**field, "currencies": None})
        return Markup('<span class="text-nowrap">{0} <span class="small text-body-secondary">{1}</span></span>'
                      ).format(amount, value.get("currency", ""))
    if kind in ("decimal", "money"):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        scale = int(field.get("scale", 2 if kind == "money" else 4))
        return format_decimal(number, "#,##0." + "0" * scale if scale else "#,##0")
    if kind == "integer":
        return format_decimal(value)
    if kind == "date":
        try:
            return inbox_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if kind == "datetime":
        try:
            return inbox_datetime(datetime.fromisoformat(str(value).replace("Z", "")))
        except ValueError:
            return str(value)
    if kind == "select":
        return option_badge(field, value)
    if kind == "multi_select" and isinstance(value, list):
        return Markup(" ").join(option_badge(field, v) for v in value)
    if kind in ("relation", "user", "group") and isinstance(value, list):  # several: ids or names
        return ", ".join(f"#{v}" if kind == "relation" else str(v) for v in value)
    if kind == "attachment" and isinstance(value, list):
        return ", ".join(str(item.get("name", "")) for item in value if isinstance(item, Mapping))
    if kind == "url":
        return Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(value)
    if kind == "email":
        return Markup('<a href="mailto:{0}">{0}</a>').format(value)
    return str(value)


@bp.app_template_filter("file_changes")
def file_changes(change: Mapping[str, Any]) -> Markup:
    """An attachment field's history entry: the files added and removed by one write."""
    def names(value: Any) -> dict[str, str]:
        return {i["fileId"]: str(i.get("name", "")) for i in value or () if isinstance(i, Mapping) and "fileId" in i}

    before, after = names(change.get("old")), names(change.get("new"))
    parts = [Markup('<span class="text-success" data-file-change="added">{0} {1}</span>').format(_("added"), name)
             for key, name in after.items() if key not in before]
    parts += [Markup('<span class="text-danger" data-file-change="removed">{0} {1}</span>').format(_("removed"), name)
              for key, name in before.items() if key not in after]
    return Markup("; ").join(parts)


def localized_schema(schema: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A record form's JSON Schema with titles, help and option names in the reader's language."""
    by_key = {f["key"]: f for f in fields}
    properties = {}
    for key, prop in schema["properties"].items():
        if "x-currency-of" in prop:  # the currency input of a per-record money field (records/money.py)
            amount = field_label(by_key[prop["x-currency-of"]])
            properties[key] = {**prop, "title": _("%(field)s: currency", field=amount)}
            continue
        field = by_key[key]
        prop = {**prop, "title": field_label(field)}
        if "help" in field:
            prop["description"] = tr(field["help"])
        names = [option_label(field, o["value"]) for o in field.get("options", [])]
        if field["type"] == "select":
            prop["x-enumNames"] = names
        elif field["type"] == "multi_select":
            prop["items"] = {**prop["items"], "x-enumNames": names}
        properties[key] = prop
    return {**schema, "properties": properties}


def one_line_texts(form_fields: list[Field], fields: list[dict[str, Any]]) -> list[Field]:
    """Short text fields as one-line inputs (the form renderer makes any text over 200 characters a textarea,
    which a 255-character name or an email address is not)."""
    kinds = {f["key"]: f["type"] for f in fields}
    for f in form_fields:
        if f.widget == "textarea" and kinds.get(f.name) in TEXT_KINDS:
            f.widget = "text"
    return form_fields
