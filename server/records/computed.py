"""Fields computed on write: formulas (JEXL over the record's own fields) and rollups over a sub-table.

Checked at save (``check_computed``: a formula naming an unknown field, or formulas that depend on each
other in a cycle, are refused naming them) and computed on every create and update (``compute``), in the
order their dependencies need, from the record's stored values. A formula that fails on a record is a 422
naming the formula field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from server.errors import BadRequest, FormInvalid
from server.expressions import ExpressionError, UnknownNameError, compile_expression
from server.forms.validation import FieldMessage
from server.records import money

NUMERIC = ("integer", "decimal", "money", "percent")
# formulas read stored plain values; computed-on-read fields (lookups, rollups over records) are not there yet
NOT_IN_FORMULAS = ("lookup", "sub_table")


def _bad(message: str, field: str) -> BadRequest:
    return BadRequest(message, field=field)


def _formula_order(type_key: str, fields: list[dict[str, Any]]) -> list[str]:
    """The formula keys, each after the formulas it reads; a cycle is refused naming its fields."""
    by_key = {f["key"]: f for f in fields}
    readable = {k for k, f in by_key.items() if f["type"] not in NOT_IN_FORMULAS
                and not (f["type"] == "rollup" and "subTable" not in f)
                and not money.per_record(f)}  # an amount without its currency: not a number to compute with
    needs: dict[str, set[str]] = {}
    for key, field in by_key.items():
        if field["type"] != "formula":
            continue
        where = f"record type '{type_key}' formula '{key}'"
        try:
            expression = compile_expression(field["expression"])
            expression.check_names(readable, "field")
        except UnknownNameError as exc:
            raise _bad(f"{where}: no field '{exc.name}' a formula can read (fields: {', '.join(sorted(readable))})",
                       key) from None
        except ExpressionError as exc:
            raise _bad(f"{where}: {exc}", key) from None
        needs[key] = {n for n in expression.names if by_key[n]["type"] == "formula"}
    order: list[str] = []
    visiting: list[str] = []

    def visit(key: str) -> None:
        if key in order:
            return
        if key in visiting:
            cycle = visiting[visiting.index(key):] + [key]
            raise _bad(f"record type '{type_key}': formulas depend on each other in a cycle: {' -> '.join(cycle)}",
                       key)
        visiting.append(key)
        for other in sorted(needs[key]):
            visit(other)
        visiting.pop()
        order.append(key)

    for key in needs:
        visit(key)
    return order


def check_computed(type_key: str, fields: list[dict[str, Any]]) -> None:
    """What one definition can check alone: formulas, lookups' relations, sub-table rollups (which it
    gives the scale of their sub-field). Rollups over other types are checked at save, against them."""
    by_key = {f["key"]: f for f in fields}
    _formula_order(type_key, fields)
    for key, field in by_key.items():
        where = f"record type '{type_key}' field '{key}'"
        if field["type"] == "lookup":
            relation = by_key.get(field["relation"])
            if relation is None or relation["type"] != "relation":
                raise _bad(f"{where}: 'relation' must name a relation field of this type, not "
                           f"'{field['relation']}'", key)
        if field["type"] == "rollup" and "subTable" in field:
            table = by_key.get(field["subTable"])
            if table is None or table["type"] != "sub_table":
                raise _bad(f"{where}: 'subTable' must name a sub-table field of this type", key)
            if "field" in field:
                sub = {f["key"]: f for f in table["fields"]}.get(field["field"])
                if sub is None or (sub["type"] not in NUMERIC and field["function"] != "count"):
                    raise _bad(f"{where}: 'field' must name a number sub-field of '{field['subTable']}'", key)
                field.setdefault("scale", 0 if sub["type"] == "integer" else int(sub.get("scale", 2 if sub[
                    "type"] in ("money", "percent") else 4)))
            else:
                field.setdefault("scale", 0)


def _value(field: Mapping[str, Any], result: Any) -> Any:
    """A formula's result as its declared type, or ValueError saying why not."""
    if result is None:
        return None
    kind = field["resultType"]
    if kind == "text":
        if not isinstance(result, str) or len(result) > 255:
            raise ValueError("is not text of at most 255 characters")
        return result
    if kind == "boolean":
        if not isinstance(result, bool):
            raise ValueError("is not true or false")
        return result
    if kind == "date":
        if isinstance(result, datetime):
            return result.date()
        if not isinstance(result, date):
            raise ValueError("is not a date")
        return result
    if isinstance(result, bool) or not isinstance(result, int | float | Decimal):
        raise ValueError("is not a number")
    number = Decimal(repr(result)) if isinstance(result, float) else Decimal(result)
    if kind == "integer":
        if number != number.to_integral_value():
            raise ValueError("is not a whole number")
        return int(number)
    scale = int(field.get("scale", 4))
    number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
    if len(number.as_tuple().digits) > 15:
        raise ValueError("has more than 15 digits")
    return number


def _rollup(field: Mapping[str, Any], rows: list[Mapping[str, Any]] | None) -> Decimal | None:
    rows = rows or []
    if field["function"] == "count":
        return Decimal(sum(1 for r in rows if "field" not in field or r.get(field["field"]) is not None))
    numbers = [Decimal(str(r[field["field"]])) for r in rows if r.get(field["field"]) is not None]
    if not numbers:  # nothing to add up is 0; the least, most or average of nothing is nothing
        return Decimal(0) if field["function"] == "sum" else None
    value = {"sum": sum, "min": min, "max": max}.get(field["function"], lambda n: sum(n) / len(n))(numbers)
    return Decimal(value).quantize(Decimal(1).scaleb(-int(field.get("scale", 4))), rounding=ROUND_HALF_EVEN)


def compute(type_key: str, definition: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The computed-on-write fields' column values for ``record`` (every stored field's current value)."""
    fields = definition["fields"]
    if not any(f["type"] in ("formula", "rollup") for f in fields):
        return {}  # nothing computed on write (ordering the formulas costs more than the rest of a batch row)
    by_key = {f["key"]: f for f in fields}
    values = dict(record)
    result: dict[str, Any] = {}
    for key, field in by_key.items():
        if field["type"] == "rollup" and "subTable" in field:
            values[key] = result[key] = _rollup(field, values.get(field["subTable"]))
    for key in _formula_order(type_key, fields):
        field = by_key[key]
        expression = compile_expression(field["expression"])
        context = {name: values.get(name) for name in expression.names}
        try:
            values[key] = result[key] = _value(field, expression.evaluate(context))
        except (ExpressionError, ValueError, ArithmeticError) as exc:
            detail = str(exc).replace(f"Cannot evaluate expression '{field['expression']}': ", "")
            raise FormInvalid({key: FieldMessage(f"cannot be computed on this record: {detail}", "formula",
                                                 {"detail": detail})}) from None
    return result
