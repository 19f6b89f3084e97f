"""The row scope written as a condition: ``{"kind": "condition", "condition": "owner == $me || ..."}``.

The condition is the JEXL filter subset of ``GET /records/{type}?filter=``, compiled to a WHERE clause by
the same compiler (server.expressions.compile_filter), so every path that reads through the records
access layer (lists, one record, updates, deletes, exports, imports, dashboards' record sources, the
process connectors) filters in the database. One record not yet written (a create) is judged by the
Python side of the same compiler (``filter_matches``), which selects exactly the rows the clause does.

``$me`` is the asking user's name and ``$me.<attribute>`` what BOMS stores about them (department,
manager, groups, ...: server/records/me.py). A name that is neither a field of the type, a system column
nor one of these is refused when the type is saved, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table

from server.auth.permissions import Principal
from server.auth.permissions.records import RowScope, scope
from server.errors import BadRequest
from server.expressions import (
    ExpressionError,
    FilterError,
    UnknownNameError,
    compile_expression,
    compile_filter,
    filter_matches,
)
from server.records import me

MAX_CONDITION = 2000


@scope("condition")
@dataclass(frozen=True)
class ConditionRows(RowScope):
    """Rows for which a JEXL filter condition holds (``owner == $me || region == $me.department``)."""

    condition: str
    names: frozenset[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConditionRows:
        unknown = sorted(set(config) - {"kind", "condition"})
        if unknown:
            raise BadRequest(f"row scope 'condition': unknown key(s) {', '.join(unknown)}", field=unknown[0])
        text = config.get("condition")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CONDITION:
            raise BadRequest(f"row scope 'condition': 'condition' must be a filter expression of at most "
                             f"{MAX_CONDITION} characters", field="condition")
        try:
            names = compile_expression(text).names
        except ExpressionError as exc:
            raise BadRequest(f"row scope 'condition': {exc}", field="condition") from None
        return cls(text.strip(), frozenset(n for n in names if n != me.ME and n != "now"))

    def clause(self, who: Principal, columns: Mapping[str, Any]) -> ColumnElement[bool]:
        return compile_filter(self.condition, {**dict(columns), **me.columns(who)})

    def matches(self, who: Principal, record: Mapping[str, Any]) -> bool:
        return filter_matches(self.condition, {**dict.fromkeys(self.names), **record,  # unset: null
                                               me.ME: me.value(who)})

    def fields(self) -> frozenset[str]:
        return self.names


def check_conditions(definition: Mapping[str, Any], table: Table) -> None:
    """Compile every condition scope of a type against its table: a name the table lacks (``$me.region``),
    an operator outside the filter subset or a comparison of the wrong kinds is a 400 naming the grant."""
    probe = Principal(0, "probe", frozenset(), frozenset())
    for index, grant in enumerate(definition.get("permissions") or []):
        rows = grant.get("rows") if isinstance(grant, Mapping) else None
        if not isinstance(rows, Mapping) or rows.get("kind") != "condition":
            continue
        where = f"record type '{definition['key']}' permission {index + 1}: row scope 'condition'"
        try:
            ConditionRows.from_config(rows).clause(probe, table.c)
        except UnknownNameError as exc:
            known = ", ".join([*(c.name for c in table.c), *me.names()])
            raise BadRequest(f"{where}: no field '{exc.name}' (it may name {known})", field="condition") from None
        except FilterError as exc:
            raise BadRequest(f"{where}: {exc}", field="condition") from None
        except ExpressionError as exc:
            raise BadRequest(f"{where}: {exc}", field="condition") from None
