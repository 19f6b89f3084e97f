"""A record list's query string: the API's filter text, simple per-field controls, sort, columns, cursor.

The per-field controls become the same JEXL filter the API takes (``amount >= 5000 && region == "east"``),
joined to the typed filter with ``&&``, so the page and the API filter through one compiler. A control
value that is not of its field's kind is refused with a message naming the field, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from server.inbox.record_display import NUMBER_KINDS, field_label
from server.records.money import per_record

RANGE_KINDS = NUMBER_KINDS | {"date"}
LIST_KINDS = frozenset({"multi_select"})  # options, with "any of" / "all of"
PRINCIPAL_KINDS = frozenset({"user"})  # "me"
CONTROL_KINDS = RANGE_KINDS | LIST_KINDS | PRINCIPAL_KINDS | {"text", "long_text", "email", "url", "select",
                                                               "boolean"}
MAX_CONTROL = 255


@dataclass
class ListArgs:
    filter: str = ""  # the typed filter (API syntax)
    sort: str = ""
    cursor: str | None = None
    columns: list[str] = field(default_factory=list)
    controls: dict[str, Any] = field(default_factory=dict)  # "f.amount.min" -> "5000"; "f.tags" -> ["a", "b"]
    view: int | None = None
    problems: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)

    def combined_filter(self) -> str:
        parts = ([f"({self.filter})"] if self.filter and self.clauses else [self.filter] if self.filter else [])
        return " && ".join(parts + self.clauses)

    def link_args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this list with some parts changed (for sort links and paging)."""
        args: dict[str, Any] = {"filter": self.filter or None, "sort": self.sort or None, "col": self.columns or None,
                                **{k: v for k, v in self.controls.items() if v}}
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a JEXL string literal


def _number(text: str, kind: str) -> str | None:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite() or (kind == "integer" and number != number.to_integral_value()):
        return None
    return str(int(number)) if kind == "integer" else format(number, "f")


def _clause(key: str, spec: Mapping[str, Any], part: str, raw: str) -> str | None:
    kind = spec["type"]
    if kind in NUMBER_KINDS:
        number = _number(raw, kind)
        if number is None:
            return None
        return f"{key} {'>=' if part == 'min' else '<='} {number}"
    if kind == "date":
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return None
        return f"{key} {'>=' if part == 'min' else '<='} {_literal(day.isoformat())}|date"
    if kind == "boolean":
        return {"yes": f"{key} == true", "no": f"{key} != true"}.get(raw)
    if kind in PRINCIPAL_KINDS:
        return _principal_clause(key, spec, raw)
    if kind == "select":
        return f"{key} == {_literal(raw)}" if raw in {o["value"] for o in spec.get("options", [])} else None
    return f"{key}|contains({_literal(raw)})"


def _list_clause(key: str, spec: Mapping[str, Any], chosen: list[str], mode: str) -> str | None:
    """Options of a multi-select: the records holding any (or all) of them."""
    known = {o["value"] for o in spec.get("options", [])}
    if not chosen or any(c not in known for c in chosen) or mode not in ("any", "all"):
        return None
    test = "containsAll" if mode == "all" else "containsAny"
    return f"{key}|{test}([{', '.join(_literal(c) for c in chosen)}])"


def _principal_clause(key: str, spec: Mapping[str, Any], raw: str) -> str | None:
    if raw != "me":
        return None
    return f"{key}|contains($me)" if spec.get("multiple") else f"{key} == $me"


def _read_list_control(result: ListArgs, args: MultiDict[str, str], key: str, spec: Mapping[str, Any]) -> None:
    chosen = [c for c in dict.fromkeys(args.getlist(f"f.{key}")) if c]
    if not chosen:
        return
    mode = args.get(f"f.{key}.mode") or "any"
    result.controls[f"f.{key}"] = chosen
    result.controls[f"f.{key}.mode"] = mode
    clause = _list_clause(key, spec, chosen, mode)
    if clause is None:
        result.problems.append(_("“%(value)s” is not a value for %(field)s.", value=", ".join(chosen)[:MAX_CONTROL],
                                 field=field_label(spec)))
    else:
        result.clauses.append(clause)


def _read_currency(result: ListArgs, args: MultiDict[str, str], key: str, spec: Mapping[str, Any]) -> str | None:
    """The currency chosen in a per-record-currency money field's control (its records only), if any."""
    raw = (args.get(f"f.{key}.currency") or "").strip()
    if not raw:
        return None
    result.controls[f"f.{key}.currency"] = raw
    if raw not in spec["currencies"]:
        result.problems.append(_("“%(value)s” is not a value for %(field)s.", value=raw[:MAX_CONTROL],
                                 field=field_label(spec)))
        return None
    result.clauses.append(f"{key}.currency == {_literal(raw)}")
    return raw


def read_list_args(args: MultiDict[str, str], fields: list[dict[str, Any]]) -> ListArgs:
    result = ListArgs(filter=(args.get("filter") or "").strip(), sort=(args.get("sort") or "").strip(),
                      cursor=args.get("cursor") or None)
    readable = {f["key"]: f for f in fields}
    result.columns = [c for c in dict.fromkeys(args.getlist("col")) if c in readable]
    unknown_columns = [c for c in args.getlist("col") if c not in readable]
    if unknown_columns:
        result.problems.append(_("There is no field “%(name)s” to show.", name=unknown_columns[0]))
    view = args.get("view", "")
    result.view = int(view) if view.isascii() and view.isdigit() and len(view) < 10 else None
    for key, spec in readable.items():
        if spec["type"] not in CONTROL_KINDS:
            continue
        if spec["type"] in LIST_KINDS:
            _read_list_control(result, args, key, spec)
            continue
        currency = _read_currency(result, args, key, spec) if per_record(spec) else None
        parts = ("min", "max") if spec["type"] in RANGE_KINDS else ("",)
        for part in parts:
            name = f"f.{key}.{part}" if part else f"f.{key}"
            raw = (args.get(name) or "").strip()
            if not raw:
                continue
            result.controls[name] = raw
            if per_record(spec) and currency is None:  # amounts compared within the currency chosen only
                result.problems.append(_("Choose a currency to filter %(field)s by amount.",
                                         field=field_label(spec)))
                continue
            target = f"{key}.{currency}" if per_record(spec) else key
            clause = _clause(target, spec, part, raw) if len(raw) <= MAX_CONTROL and "\x00" not in raw else None
            if clause is None:
                result.problems.append(_("“%(value)s” is not a value for %(field)s.", value=raw,
                                         field=field_label(spec)))
            else:
                result.clauses.append(clause)
    return result
