"""The record-type designer's form: a definition drawn as rows of inputs, and the posted form read back.

The form edits what a designer sets most (name, fields' key, labels, type, required, unique, shown in the
list, currency, options, order; the actions each role may take). What it does not show (help texts,
validation, defaults, grants naming fields, groups, users or row scopes) is kept from the saved
definition unchanged, so saving from the form never drops it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from server.auth.permissions.records import Action
from server.errors import BadRequest
from server.models import ROLES

BLANK_ROWS = 3
# What the form edits; every other key of a saved field (help, validation, default, scale, and the
# configuration of kinds the form has no inputs for) is kept while the field keeps its type.
FORM_KEYS = frozenset({"key", "label", "type", "required", "unique", "list", "currency", "currencies", "options"})
GRID_KEYS = frozenset({"roles", "actions"})


@dataclass
class FieldRow:
    index: int
    key: str = ""
    label_en: str = ""
    label_zh: str = ""
    type: str = "text"
    required: bool = False
    unique: bool = False
    list: bool = True
    currency: str = ""
    options: str = ""
    existing: bool = False
    position: int = 0
    per_record: bool = False  # money: the currency is chosen per record from the codes in ``currency``


@dataclass
class DesignForm:
    key: str = ""
    name_en: str = ""
    name_zh: str = ""
    rows: list[FieldRow] = field(default_factory=list)
    grid: dict[str, set[str]] = field(default_factory=dict)  # role -> actions
    advanced: list[dict[str, Any]] = field(default_factory=list)  # grants the grid cannot show, kept
    creating: bool = True


def _options_text(options: list[Mapping[str, Any]]) -> str:
    return "\n".join(f"{o['value']} | {o['label']['en']} | {o['label']['zh']}" for o in options)


def form_of(definition: Mapping[str, Any] | None) -> DesignForm:
    if definition is None:
        return DesignForm(rows=[FieldRow(i, position=i + 1) for i in range(BLANK_ROWS)])
    rows = [FieldRow(i, f["key"], f["label"]["en"], f["label"]["zh"], f["type"], f["required"], f["unique"],
                     f.get("list", True), ", ".join(f["currencies"]) if "currencies" in f else f.get("currency", ""),
                     _options_text(f.get("options", [])), True, per_record="currencies" in f)
            for i, f in enumerate(definition["fields"])]
    rows += [FieldRow(len(rows) + i) for i in range(BLANK_ROWS)]
    for row in rows:
        row.position = row.index + 1
    grid: dict[str, set[str]] = {}
    advanced = []
    for grant in definition.get("permissions", []):
        if set(grant) <= GRID_KEYS and grant.get("roles"):
            for role in grant["roles"]:
                grid.setdefault(role, set()).update(grant["actions"])
        else:
            advanced.append(grant)
    return DesignForm(definition["key"], definition["name"]["en"], definition["name"]["zh"], rows, grid, advanced,
                      creating=False)


def _options(text: str, key: str) -> list[dict[str, Any]]:
    options = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise BadRequest(f"field '{key}': option line {number} must be 'value | English | 中文'", field=key)
        options.append({"value": parts[0], "label": {"en": parts[1], "zh": parts[2]}})
    return options


def _row(form: MultiDict[str, str], index: int) -> FieldRow:
    def text(name: str) -> str:
        return (form.get(f"{name}-{index}") or "").strip()

    return FieldRow(index, text("key"), text("label_en"), text("label_zh"), text("type") or "text",
                    form.get(f"required-{index}") == "on", form.get(f"unique-{index}") == "on",
                    form.get(f"list-{index}") == "on", text("currency"), form.get(f"options-{index}") or "",
                    form.get(f"existing-{index}") == "1", per_record=form.get(f"per_record-{index}") == "on")


def typed_form(form: MultiDict[str, str], saved: Mapping[str, Any] | None) -> DesignForm:
    """The designer's form as it was posted (to save, or to show again with its message)."""
    count = min(int(form.get("rows", "0")) if (form.get("rows") or "").isdigit() else 0, 300)
    rows = [_row(form, i) for i in range(count)]
    for row in rows:
        position = form.get(f"position-{row.index}") or ""
        row.position = int(position) if position.isdigit() else row.index + 1
    rows.sort(key=lambda r: (r.position, r.index))
    design = DesignForm((saved or {}).get("key") or (form.get("key") or "").strip(),
                        (form.get("name_en") or "").strip(), (form.get("name_zh") or "").strip(), rows,
                        creating=saved is None)
    design.grid = {role: {a.value for a in Action if form.get(f"grant-{role}-{a.value}") == "on"} for role in ROLES}
    advanced = form_of(saved).advanced if saved else []
    design.advanced = [g for i, g in enumerate(advanced) if form.get(f"drop-grant-{i}") != "on"]
    return design


def definition_of(design: DesignForm, saved: Mapping[str, Any] | None) -> dict[str, Any]:
    """The definition the form makes; BadRequest names the field whose options cannot be read."""
    before = {f["key"]: f for f in (saved or {}).get("fields", [])}
    fields = []
    for row in design.rows:
        if not (row.key or row.label_en or row.label_zh):
            continue  # a blank row
        entry: dict[str, Any] = {"key": row.key, "label": {"en": row.label_en, "zh": row.label_zh},
                                 "type": row.type, "required": row.required, "unique": row.unique, "list": row.list}
        old = before.get(row.key)
        if old is not None and old["type"] == row.type:
            entry.update({k: v for k, v in old.items() if k not in FORM_KEYS and v not in (None, {})})
        if row.type == "money" and row.per_record:  # "CNY, USD EUR": the codes a record chooses from
            entry["currencies"] = [c for c in re.split(r"[\s,，;]+", row.currency.upper()) if c]
        elif row.type == "money":
            entry["currency"] = row.currency.upper()
        if row.type in ("select", "multi_select"):
            entry["options"] = _options(row.options, row.key or f"row {row.index + 1}")
        fields.append(entry)
    grants: list[dict[str, Any]] = [{"roles": [role], "actions": sorted(actions)}
                                    for role, actions in design.grid.items() if actions]
    return {"key": design.key, "name": {"en": design.name_en, "zh": design.name_zh}, "fields": fields,
            "permissions": grants + design.advanced}
