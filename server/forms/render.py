"""JSON-Schema forms in HTML: field descriptors for the templates, and typed values from a POST.

Parsing never validates: a value that cannot be read stays a string, so the one validator
(server/forms/validation.py) reports it with the same message the API gives.

Two widgets need more than one input:
- file fields (server/forms/files.py) are not read here: their uploads come from ``request.files``
  and are stored by server/services/files.py, which gives the variable's value;
- an array of objects is a table of rows ("rows"): cell ``lines-1-qty`` is ``lines[1].qty``; rows are
  read in index order with fully empty ones skipped, so the validator's ``lines.1.qty`` names the
  second non-empty row, which is also the second row shown when the form comes back with messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.datastructures import MultiDict

from server.forms.files import is_file_field

TEXTAREA_OVER = 200
RADIO_UP_TO = 3  # a few options read faster as radio buttons than hidden in a drop-down
# What a datetime-local input sends: no zone. Anything else is passed on for the validator to judge.
LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
TEXT_WIDGETS = frozenset({"text", "textarea", "number", "money", "email"})  # the ones a placeholder fits
# Cell widgets a row may hold; an item with anything else (nested lists, files) stays unsupported.
ROW_WIDGETS = frozenset({"text", "textarea", "number", "money", "date", "datetime", "email", "select", "radio",
                         "checkbox"})
ROW_INDEX = "__index__"  # stands for the row number in the blank row that rows.js copies
# Hidden inputs that timezone.js fills with the browser's zone (IANA name) and its UTC offset in minutes
# (as JavaScript's getTimezoneOffset gives it: UTC minus local). Without JavaScript, times are UTC.
TZ_FIELD = "boms-tz"
TZ_OFFSET_FIELD = "boms-tz-offset"
MAX_OFFSET_MINUTES = 14 * 60


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool = False
    readonly: bool = False
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    decision: bool = False
    help: str | None = None  # the schema's description (or a ui:help hint), shown under the input
    columns: list[Field] = field(default_factory=list)  # rows: one per item property
    rows: list[list[Field]] = field(default_factory=list)  # rows: the cells, one blank row last
    template: list[Field] = field(default_factory=list)  # rows: the blank row with ROW_INDEX in its names
    choose_again: bool = False  # file: the form came back after a refused submission, whose uploads are gone


def _order(schema: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    order = [n for n in schema.get("x-order", []) if n in props]
    return order + [n for n in props if n not in order]


def _hints(prop: Mapping[str, Any], ui: Mapping[str, Any]) -> dict[str, Any]:
    # Camunda modelers give hints as x-properties, rjsf ones as a uiSchema; the uiSchema wins.
    return {**prop.get("x-properties", {}), **{k.removeprefix("ui:"): v for k, v in ui.items()}}


def _widget(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    hints = _hints(prop, ui)
    kind, fmt = prop.get("type"), prop.get("format")
    if is_file_field(prop):
        return "file"
    if kind == "array":
        items = prop.get("items", {})
        if "enum" in items:
            return "multiselect"
        return "rows" if _is_rows(prop) else "unsupported"
    if kind == "object":
        return "unsupported"
    if "enum" in prop:
        if hints.get("widget") in ("radio", "select"):
            return hints["widget"]
        return "radio" if len(prop["enum"]) <= RADIO_UP_TO else "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "integer" or kind == "number":
        return "money" if hints.get("format") == "money" or hints.get("widget") == "money" else "number"
    if fmt in ("date", "email"):
        return fmt
    if fmt == "date-time":
        return "datetime"
    if hints.get("widget") == "textarea" or prop.get("maxLength", 0) > TEXTAREA_OVER or name.endswith("Comment"):
        return "textarea"
    return "text"


def _is_rows(prop: Mapping[str, Any]) -> bool:
    items = prop.get("items")
    if not isinstance(items, Mapping) or items.get("type") != "object" or not items.get("properties"):
        return False
    return all(_widget(n, p, {}) in ROW_WIDGETS for n, p in items["properties"].items())


def _is_decision(name: str, prop: Mapping[str, Any]) -> bool:
    flagged = str(prop.get("x-properties", {}).get("decision", "")).lower() == "true"
    return "enum" in prop and (flagged or name.endswith("Decision"))


def fields(schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None = None,
           errors: Mapping[str, str] | None = None, ui_schema: Mapping[str, Any] | None = None) -> list[Field]:
    """The form's fields in the modeler's order, with values (typed back, or defaults) and errors."""
    if not schema:
        return []
    came_back = values is not None  # a submission that was refused: its values are shown again
    values, errors, ui_schema = values or {}, errors or {}, ui_schema or {}
    required = set(schema.get("required", []))
    result = []
    for name in _order(schema):
        prop = schema["properties"][name]
        f = _field(name, prop, ui_schema.get(name, {}), name in required, values.get(name, prop.get("default")),
                   _message(name, errors.get(name)))
        if f.widget == "rows":
            _fill_rows(f, prop, errors)
        # A file of a refused submission was deleted (server/services/files.py): the user must pick it again.
        f.choose_again = f.widget == "file" and not f.readonly and came_back
        result.append(f)
    return result


def _field(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any], required: bool, value: Any,
           error: str | None) -> Field:
    widget = _widget(name, prop, ui)
    enum = prop.get("enum") or prop.get("items", {}).get("enum") or []
    names = prop.get("x-enumNames") or prop.get("items", {}).get("x-enumNames") or enum
    attrs = {key: prop[src] for key, src in (("minlength", "minLength"), ("maxlength", "maxLength"),
                                              ("min", "minimum"), ("max", "maximum")) if src in prop}
    if widget == "money":
        attrs.setdefault("step", "0.01")
    elif prop.get("type") == "number":
        attrs.setdefault("step", "any")
    hints = _hints(prop, ui)
    if widget in TEXT_WIDGETS and hints.get("placeholder"):
        attrs["placeholder"] = str(hints["placeholder"])
    if widget == "datetime":
        if _is_zoned(value):
            # A stored instant: timezone.js shows it in the browser's zone (the UTC value is the fallback).
            attrs["data-utc"] = value
        value = _datetime_local(value)
    return Field(
        name=name, label=prop.get("title") or name, widget=widget,
        required=required and not prop.get("readOnly"), readonly=bool(prop.get("readOnly")),
        value=value, options=list(zip(map(str, enum), map(str, names), strict=False)),
        attrs=attrs, error=error, decision=_is_decision(name, prop),
        help=prop.get("description") or hints.get("help") or None,
    )


def _is_zoned(value: Any) -> bool:
    if not isinstance(value, str) or len(value) <= 16:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def submitted_zone(form: Mapping[str, str]) -> tzinfo:
    """The zone the browser's datetime-local inputs are in: its IANA name, else its offset, else UTC."""
    name = (form.get(TZ_FIELD) or "").strip()
    if name and len(name) < 64 and ".." not in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = (form.get(TZ_OFFSET_FIELD) or "").strip()
    if re.fullmatch(r"-?\d{1,4}", offset) and abs(int(offset)) <= MAX_OFFSET_MINUTES:
        return timezone(-timedelta(minutes=int(offset)))
    return UTC


def _datetime_local(value: Any) -> Any:
    """A stored date-time (UTC, with a zone) as the datetime-local input shows it: ``YYYY-MM-DDTHH:MM``."""
    if not isinstance(value, str) or len(value) <= 16:
        return value  # empty, or already what the input sent
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # what the user typed, kept so the message beside it makes sense
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _fill_rows(f: Field, prop: Mapping[str, Any], errors: Mapping[str, str]) -> None:
    """Columns, one row of cells per item plus a blank one, and each cell's message (``lines.1.qty``)."""
    items = prop["items"]
    required = set(items.get("required", []))
    order = _order(items)
    f.columns = [_field(c, items["properties"][c], {}, c in required, None, None) for c in order]
    values = f.value if isinstance(f.value, list) else []

    def cells(index: int | str, item: Mapping[str, Any]) -> list[Field]:
        row = []
        for column in f.columns:
            path = f"{f.name}.{index}.{column.name}"
            cell = _field(f"{f.name}-{index}-{column.name}", items["properties"][column.name], {},
                          column.required, item.get(column.name), _message(path, errors.get(path)))
            cell.label = column.label
            row.append(cell)
        return row

    f.rows = [cells(i, v if isinstance(v, Mapping) else {}) for i, v in enumerate(values)]
    f.rows.append(cells(len(values), {}))  # without JavaScript, the one way to add a row
    f.template = cells(ROW_INDEX, {})
    # Messages about the list or a whole row (not a cell) are shown under the table.
    row_level = [_message(f"{f.name}.{i}", errors.get(f"{f.name}.{i}")) for i in range(len(values))]
    f.error = "; ".join(m for m in [f.error, *row_level] if m) or None


def _message(name: str, error: str | None) -> str | None:
    # The validator names the field for API clients; beside the field itself that is noise.
    return error.removeprefix(f"{name}: ") if error else None


def _number(raw: str, integer: bool) -> Any:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        try:
            number = float(raw)
            return int(number) if integer and number.is_integer() else raw
        except ValueError:
            return raw


def _utc_instant(raw: str, zone: tzinfo) -> str:
    """A datetime-local value (wall time in ``zone``) as the UTC instant BOMS stores."""
    local = datetime.fromisoformat(raw if len(raw) > 16 else raw + ":00")
    # fold=0: of a wall time that occurs twice (clocks going back), the first; ZoneInfo resolves gaps too.
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond:06d}" if moment.microsecond else "") + "Z"


def _typed(prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
    """(given, value) of one input; an empty text input is not given."""
    kind = prop.get("type")
    if kind == "boolean":
        return key in form, form.get(key) in ("on", "true", "1", "yes")
    raw = form.get(key, "").strip()
    if raw == "":
        return False, None
    if kind in ("integer", "number"):
        return True, _number(raw, kind == "integer")
    if prop.get("format") == "date-time" and LOCAL_DATE_TIME.match(raw):
        # datetime-local has no zone (and seconds only with a step): it is the browser's wall time.
        try:
            return True, _utc_instant(raw, submitted_zone(form))
        except ValueError:
            return True, raw  # 2026-02-30T10:00: left for the validator to name
    return True, raw


def _parse_rows(name: str, items: Mapping[str, Any], form: MultiDict[str, str]) -> list[dict[str, Any]]:
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)-")
    # Indices may have gaps (rows removed in the browser); their order is the order of the rows.
    indices = sorted({int(m.group(1)) for key in form if (m := pattern.match(key))})
    rows = []
    for index in indices:
        row, given = {}, False
        for column, prop in items["properties"].items():
            present, value = _typed(prop, form, f"{name}-{index}-{column}")
            if prop.get("type") == "boolean":
                row[column] = value
                given = given or value
            elif present:
                row[column] = value
                given = True
        if given:  # a row left entirely empty is no row at all
            rows.append(row)
    return rows


def shown_again(variables: Mapping[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The values a refused form comes back with: what was typed (so "lots" stays "lots"), except lists
    (multi-selects, rows), which one string per name cannot hold."""
    lists = {name: value for name, value in variables.items() if isinstance(value, list)}
    return {**variables, **form.to_dict(), **lists}


def parse_submission(schema: Mapping[str, Any] | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """Typed variables from an HTML form POST, for the schema's fields only (file fields excepted)."""
    if not schema:
        return {}
    result: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly") or is_file_field(prop):
            continue
        if prop.get("type") == "array":
            if _is_rows(prop):
                rows = _parse_rows(name, prop["items"], form)
                if rows:  # no row at all is absent, so a required list is reported as missing
                    result[name] = rows
            elif name in form:
                result[name] = form.getlist(name)
            continue
        present, value = _typed(prop, form, name)
        if present or prop.get("type") == "boolean":
            result[name] = value  # an empty optional field is absent, a required one is reported as missing
    return result
