"""JSON-Schema forms in HTML: field descriptors for the templates, and typed values from a POST.

What differs between kinds of field (widget, attributes, how a value is read) is the field type's
(server/forms/registry.py); this module walks the schema.

Parsing never validates: a value that cannot be read stays a string, so the one validator
(server/forms/validation.py) reports it with the same message the API gives.

Two widgets need more than one input:
- file fields (server/forms/files.py) are not read here: their uploads come from ``request.files``
  and are stored by server/services/files.py, which gives the variable's value;
- an array of objects is a table of rows ("rows", server/forms/fields/rows.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms import registry
from server.forms.fields.dates import TZ_FIELD, TZ_OFFSET_FIELD, submitted_zone

# The hidden time-zone inputs stay importable from here, where the form's template is described.
__all__ = ["ROW_INDEX", "TEXT_WIDGETS", "TZ_FIELD", "TZ_OFFSET_FIELD", "Field", "fields", "parse_submission",
           "shown_again", "submitted_zone"]

TEXT_WIDGETS = frozenset({"text", "textarea", "number", "money", "email"})  # the ones a placeholder fits
ROW_INDEX = "__index__"  # stands for the row number in the blank row that rows.js copies


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
    type: str = "text"  # the field type's name in server/forms/registry.py
    macro: str | None = None  # "template.html:macro" of a type with a widget of its own


def _order(schema: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    order = [n for n in schema.get("x-order", []) if n in props]
    return order + [n for n in props if n not in order]


def _hints(prop: Mapping[str, Any], ui: Mapping[str, Any]) -> dict[str, Any]:
    # Camunda modelers give hints as x-properties, rjsf ones as a uiSchema; the uiSchema wins.
    return {**prop.get("x-properties", {}), **{k.removeprefix("ui:"): v for k, v in ui.items()}}


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
    field_type = registry.of(prop)
    hints = _hints(prop, ui)
    widget = field_type.widget(name, prop, hints)
    enum = prop.get("enum") or prop.get("items", {}).get("enum") or []
    names = prop.get("x-enumNames") or prop.get("items", {}).get("x-enumNames") or enum
    attrs = {key: prop[src] for key, src in (("minlength", "minLength"), ("maxlength", "maxLength"),
                                              ("min", "minimum"), ("max", "maximum")) if src in prop}
    for key, attr in field_type.attrs(widget, prop, hints).items():
        attrs.setdefault(key, attr)
    if widget in TEXT_WIDGETS and hints.get("placeholder"):
        attrs["placeholder"] = str(hints["placeholder"])
    value = field_type.shown(value, attrs)
    return Field(
        name=name, label=prop.get("title") or name, widget=widget,
        required=required and not prop.get("readOnly"), readonly=bool(prop.get("readOnly")),
        value=value, options=list(zip(map(str, enum), map(str, names), strict=False)),
        attrs=attrs, error=error, decision=_is_decision(name, prop),
        help=prop.get("description") or hints.get("help") or None,
        type=field_type.name, macro=field_type.macro,
    )


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
        field_type = registry.of(prop)
        if prop.get("readOnly") or field_type.uploaded:
            continue
        given, value = field_type.parse(prop, form, name)
        if given or field_type.always_given(prop):
            result[name] = value  # an empty optional field is absent, a required one is reported as missing
    return result
