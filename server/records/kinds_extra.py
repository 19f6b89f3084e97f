"""Field kinds that refer to something or are computed: percent, phone, user, group, relation, auto-number,
formula, lookup, rollup, sub-table. Registered into ``fields.KINDS`` when server.records is imported.

Which are computed, and when:
- ``formula`` and a ``rollup`` over a sub-table are computed on every write and stored in a column, so
  lists filter, sort and sum them in SQL with an index like any field (a formula reads only the record's own
  fields, so its value changes only when the record is written);
- ``lookup`` and a ``rollup`` over related records depend on other records, so they are read in SQL with
  each query (a correlated subquery): always current, never a stale copy to keep in step;
- ``auto_number`` is given once, at create, from a counter row locked in the creating transaction.
Whoever writes a computed field gets a 422 naming it (``read_only``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Integer, Numeric, String
from sqlalchemy.types import TypeEngine

from server.errors import BadRequest
from server.records.fields import KINDS, MAX_DIGITS, DecimalKind, Kind, TextKind
from server.records.many import MAX_LINKS, as_ids

KEY = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)
TYPE_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)
ON_DELETE = ("restrict", "set_null", "cascade")
ROLLUPS = ("count", "sum", "min", "max", "avg")
FORMULA_RESULTS = ("text", "integer", "decimal", "boolean", "date")
# {yyyy} {yy} {mm} {dd} date parts and one {000...} counter; the rest literal letters, digits and - _ / .
AUTO_PART = re.compile(r"\{(yyyy|yy|mm|dd|0{1,12})\}")
AUTO_LITERAL = re.compile(r"[A-Za-z0-9_./-]*")
MAX_SUB_ROWS = 500


def _bad(message: str, field: str) -> BadRequest:
    return BadRequest(message, field=field)


def _key(raw: Mapping[str, Any], name: str, where: str, pattern: re.Pattern[str] = KEY) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _bad(f"{where}: '{name}' must name a field or record type by its key", raw.get("key", name))
    return value


def _flag(raw: Mapping[str, Any], name: str, where: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise _bad(f"{where}: '{name}' must be true or false", raw.get("key", name))
    return value


class PercentKind(DecimalKind):
    """A percentage as its number of percent, exact: ``"12.50"`` is 12.5 %."""

    name = "percent"
    default_scale = 2

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().schema(field), "x-unit": "%"}


class PhoneKind(TextKind):
    name = "phone"
    checks = frozenset({"maxLength", "pattern"})
    default_length = ceiling = 32

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        schema = super().schema(field)
        # digits with the usual separators and an optional leading +; a designer's own pattern wins
        return {**schema, "format": "phone", "pattern": schema.get("pattern", r"^\+?[0-9][0-9 ()\-]{3,30}$")}


class _PrincipalKind(Kind):
    """A BOMS user (by username) or group (by name); one, or a list with ``multiple``."""

    extra = frozenset({"multiple"})
    refers_to = ""

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        multiple = _flag(raw, "multiple", where)
        if multiple and raw.get("unique"):
            raise _bad(f"{where}: a {self.name} field with several values cannot be unique", raw["key"])
        return {"multiple": multiple}

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return JSON() if field.get("multiple") else String(150)

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        one = {"type": "string", "minLength": 1, "maxLength": 150, "x-ref": self.refers_to}
        if field.get("multiple"):
            return {"type": "array", "uniqueItems": True, "maxItems": 100, "items": one, "x-ref": self.refers_to}
        return one


class UserKind(_PrincipalKind):
    name = "user"
    refers_to = "user"


class GroupKind(_PrincipalKind):
    name = "group"
    refers_to = "group"


class RelationKind(Kind):
    """The id of a record of ``target``; a foreign key in the database. ``onDelete`` says what deleting the
    target does: ``restrict`` (refused, naming the records that point to it), ``set_null``, ``cascade``.
    With ``multiple`` it is a list of ids kept in a link table (server/records/many.py); ``set_null`` then
    unlinks the deleted target."""

    name = "relation"
    extra = frozenset({"target", "onDelete", "multiple"})

    def stored(self, field: Mapping[str, Any]) -> bool:
        return not field.get("multiple")

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        target = _key(raw, "target", where, TYPE_KEY)
        on_delete = raw.get("onDelete", "restrict")
        if on_delete not in ON_DELETE:
            raise _bad(f"{where}: 'onDelete' must be one of {', '.join(ON_DELETE)}", raw["key"])
        if raw.get("required") and on_delete == "set_null":
            raise _bad(f"{where}: a required relation cannot be set to null when its target is deleted; "
                       "use restrict or cascade", raw["key"])
        config = {"target": target, "onDelete": on_delete}
        if _flag(raw, "multiple", where):
            if raw.get("unique") or raw.get("default") is not None:
                raise _bad(f"{where}: a relation to several records has no default and cannot be unique",
                           raw["key"])
            config["multiple"] = True
        return config

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Integer()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        one = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "x-ref": f"record:{field['target']}"}
        if field.get("multiple"):
            return {"type": "array", "uniqueItems": True, "maxItems": MAX_LINKS, "items": one,
                    "minItems": 1 if field.get("required") else 0, "x-ref": f"record:{field['target']}"}
        return one

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return sorted(value) if field.get("multiple") and value is not None else value

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        return as_ids(value) if field.get("multiple") else value


class AutoNumberKind(Kind):
    """``WO-{yyyy}-{0000}``: the date parts of the create time and a counter, gap-free per period."""

    name = "auto_number"
    extra = frozenset({"pattern"})
    writable = False

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        pattern = raw.get("pattern")
        if not isinstance(pattern, str) or len(pattern) > 60:
            raise _bad(f"{where}: 'pattern' must be text such as \"WO-{{yyyy}}-{{0000}}\"", raw["key"])
        parts = AUTO_PART.findall(pattern)
        literal = AUTO_PART.sub("", pattern)
        if sum(1 for p in parts if p.startswith("0")) != 1 or not AUTO_LITERAL.fullmatch(literal) \
                or pattern.count("{") != len(parts):
            raise _bad(f"{where}: 'pattern' needs exactly one counter such as {{0000}}, may hold {{yyyy}} {{yy}} "
                       "{mm} {dd}, and otherwise letters, digits and - _ / .", raw["key"])
        if raw.get("default") is not None:
            raise _bad(f"{where}: an auto-number has no default", raw["key"])
        return {"pattern": pattern, "unique": True}

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return String(100)

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "readOnly": True, "x-pattern": field["pattern"]}


def _result_kind(field: Mapping[str, Any]) -> Kind:
    return KINDS[{"text": "text", "integer": "integer", "decimal": "decimal", "boolean": "boolean",
                  "date": "date"}[field["resultType"]]]


class FormulaKind(Kind):
    """A JEXL expression over the record's own fields (server/expressions) with a declared result type."""

    name = "formula"
    extra = frozenset({"expression", "resultType", "scale"})
    writable = False

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        expression = raw.get("expression")
        if not isinstance(expression, str) or not expression.strip() or len(expression) > 2000:
            raise _bad(f"{where}: 'expression' must be a JEXL expression over the record's fields", raw["key"])
        result = raw.get("resultType")
        if result not in FORMULA_RESULTS:
            raise _bad(f"{where}: 'resultType' must be one of {', '.join(FORMULA_RESULTS)}", raw["key"])
        if "scale" in raw and result != "decimal":
            raise _bad(f"{where}: 'scale' applies to a decimal result only", raw["key"])
        if raw.get("unique") or raw.get("default") is not None:
            raise _bad(f"{where}: a formula has no default and cannot be unique", raw["key"])
        return {"expression": expression.strip(), "resultType": result}

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        if field["resultType"] == "decimal":
            return Numeric(MAX_DIGITS, int(field.get("scale", 4)), asdecimal=True)
        return {"text": String(255), "integer": BigInteger(), "boolean": Boolean(), "date": Date()}[
            field["resultType"]]

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {**_result_kind(field).schema(field), "readOnly": True, "x-formula": field["expression"]}

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        return _result_kind(field).to_json(field, value)


class LookupKind(Kind):
    """A field of the record a relation points to, read through it: ``{"relation": "customer", "field": "region"}``."""

    name = "lookup"
    extra = frozenset({"relation", "field"})
    writable = False
    can_unique = False

    def stored(self, field: Mapping[str, Any]) -> bool:
        return False

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        if raw.get("unique") or raw.get("required") or raw.get("default") is not None:
            raise _bad(f"{where}: a lookup is read through its relation: no default, required or unique", raw["key"])
        return {"relation": _key(raw, "relation", where), "field": _key(raw, "field", where)}

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"readOnly": True, "x-lookup": f"{field['relation']}.{field['field']}"}


class RollupKind(Kind):
    """count / sum / min / max / avg over the records of ``source`` whose relation ``via`` points here (read in
    SQL), or over the rows of a sub-table of this record (``subTable``; computed on write and stored)."""

    name = "rollup"
    extra = frozenset({"source", "via", "subTable", "function", "field", "scale"})
    writable = False
    can_unique = False

    def stored(self, field: Mapping[str, Any]) -> bool:
        return "subTable" in field

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        function = raw.get("function")
        if function not in ROLLUPS:
            raise _bad(f"{where}: 'function' must be one of {', '.join(ROLLUPS)}", raw["key"])
        if raw.get("unique") or raw.get("required") or raw.get("default") is not None:
            raise _bad(f"{where}: a rollup is computed: no default, required or unique", raw["key"])
        config: dict[str, Any] = {"function": function}
        if "subTable" in raw:
            if "source" in raw or "via" in raw:
                raise _bad(f"{where}: a rollup is over a 'subTable' or over a 'source' type 'via' a relation, "
                           "not both", raw["key"])
            config["subTable"] = _key(raw, "subTable", where)
        else:
            config["source"] = _key(raw, "source", where, TYPE_KEY)
            config["via"] = _key(raw, "via", where)
        if function != "count" or "field" in raw:
            config["field"] = _key(raw, "field", where)
        return config

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return Numeric(MAX_DIGITS, int(field.get("scale", 4)), asdecimal=True)

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        kind = {"type": "integer"} if field["function"] == "count" else {"type": "string", "format": "decimal"}
        return {**kind, "readOnly": True}

    def to_json(self, field: Mapping[str, Any], value: Any) -> Any:
        if value is None:
            return 0 if field["function"] == "count" else None
        if field["function"] == "count":
            return int(value)
        return KINDS["decimal"].to_json({"scale": field.get("scale", 4)}, value)


class SubTableKind(Kind):
    """Rows of sub-fields inside the record (order lines), validated per row, kept as a JSON list."""

    name = "sub_table"
    extra = frozenset({"fields"})
    can_unique = False
    can_filter = False

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return JSON()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        properties = {f["key"]: {**KINDS[f["type"]].schema(f), "title": f["label"]["en"]} for f in field["fields"]}
        return {"type": "array", "maxItems": MAX_SUB_ROWS, "items": {
            "type": "object", "properties": properties, "additionalProperties": False,
            "required": [f["key"] for f in field["fields"] if f["required"]]}}

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        if value is None:
            return None
        kinds = {f["key"]: (KINDS[f["type"]], f) for f in field["fields"]}
        # stored as JSON: each value in its JSON form, decimals normalized to the sub-field's scale
        return [{k: kinds[k][0].to_json(kinds[k][1], kinds[k][0].to_db(kinds[k][1], v)) for k, v in row.items()}
                for row in value]


#: what a sub-table row may hold: plain values only
SUB_FIELD_KINDS = ("text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date", "select",
                   "email", "url", "phone")

for _kind in (PercentKind(), PhoneKind(), UserKind(), GroupKind(), RelationKind(), AutoNumberKind(),
              FormulaKind(), LookupKind(), RollupKind(), SubTableKind()):
    KINDS[_kind.name] = _kind
