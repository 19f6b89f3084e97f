"""A filter over process instance variables (``amount >= 5000 && region == 'north'``) as a SQL WHERE.

The shared filter compiler (server/expressions/sql.py) needs a typed column per name. Instance
variables are JSON without a declared type, so each variable's type is read from what the filter
compares it with: a number literal makes it a number, a string a text, true/false a boolean (a
variable compared with two kinds is refused). A value of another JSON type in some instance is then
NULL for that instance (it does not match), never an error: the column is a CASE on the JSON type.
Anything outside the compiler's subset is a 400 naming the filter and the construct.
"""

from __future__ import annotations

from typing import Any

from pyjexl import parser as jexl_ast
from sqlalchemy import Boolean, ColumnElement, Float, String, case, func, type_coerce
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.expressions import ExpressionError, FilterError, UnknownNameError, compile_filter
from server.expressions.jexl import parse
from server.models import ProcessInstance
from server.models.instance import VARIABLE_NAME

MAX_FILTER = 2000
CONSTANTS = {"now"}  # the compiler's own names


def _literal_kind(node: Any) -> str | None:
    if isinstance(node, jexl_ast.Literal):
        value = node.value
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "number"
        if isinstance(value, str):
            return "text"
    if isinstance(node, jexl_ast.ArrayLiteral):
        kinds = {_literal_kind(item) for item in node.value} - {None}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _children(node: Any) -> list[Any]:
    if isinstance(node, jexl_ast.ArrayLiteral):
        return list(node.value)
    if isinstance(node, jexl_ast.ObjectLiteral):
        return list(node.value.values())
    return [child for child in getattr(node, "children", ()) if child is not None]


def variable_kinds(text: str) -> dict[str, str]:
    """Each root variable the filter reads, with the kind of literal it is compared with (text if none)."""
    kinds: dict[str, set[str]] = {}
    stack = [parse(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, jexl_ast.Identifier) and node.subject is None:
            kinds.setdefault(node.value, set())
        if isinstance(node, jexl_ast.BinaryExpression):
            for this, other in ((node.left, node.right), (node.right, node.left)):
                kind = _literal_kind(other)
                if isinstance(this, jexl_ast.Identifier) and this.subject is None and kind:
                    kinds.setdefault(this.value, set()).add(kind)
        stack.extend(_children(node))
    found: dict[str, str] = {}
    for name, seen in kinds.items():
        if name in CONSTANTS:
            continue
        if not VARIABLE_NAME.match(name):
            raise BadRequest(f"filter: '{name}' is not a variable name (letters, digits and _)", field="filter")
        if len(seen) > 1:
            raise BadRequest(f"filter: variable '{name}' is compared with both {' and '.join(sorted(seen))}",
                             field="filter")
        found[name] = seen.pop() if seen else "text"
    return found


def _column(session: Session, name: str, kind: str) -> ColumnElement[Any]:
    value = ProcessInstance.variables[name]
    if session.get_bind().dialect.name == "sqlite":
        json_type = func.json_type(ProcessInstance.variables, f"$.{name}")
        if kind == "number":
            return type_coerce(case((json_type.in_(["integer", "real"]), value.as_float())), Float)
        if kind == "boolean":
            return type_coerce(case((json_type.in_(["true", "false"]), json_type == "true")), Boolean)
        return type_coerce(case((json_type == "text", value.as_string())), String)
    json_type = func.jsonb_typeof(value)
    if kind == "number":
        return type_coerce(case((json_type == "number", value.as_float())), Float)
    if kind == "boolean":
        return type_coerce(case((json_type == "boolean", value.as_boolean())), Boolean)
    return type_coerce(case((json_type == "string", value.as_string())), String)


def instance_filter(session: Session, text: str) -> ColumnElement[bool]:
    """The WHERE clause on process_instance choosing the instances whose variables pass ``text``."""
    if len(text) > MAX_FILTER:
        raise BadRequest(f"filter is longer than {MAX_FILTER} characters", field="filter")
    try:
        kinds = variable_kinds(text)
        columns = {name: _column(session, name, kind) for name, kind in kinds.items()}
        return compile_filter(text, columns)
    except UnknownNameError as exc:
        raise BadRequest(f"filter '{text}': '{exc.name}' cannot be filtered on (a variable's own value only, "
                         "not a part of it)", field="filter") from None
    except FilterError as exc:
        raise BadRequest(f"filter '{text}': {exc}", field="filter") from None
    except ExpressionError as exc:
        raise BadRequest(f"filter '{text}' is not a valid expression: {exc}", field="filter") from None
