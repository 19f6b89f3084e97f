"""The filter subset of JEXL compiled to a SQLAlchemy WHERE clause that agrees with Python evaluation.

Records' filters, row-scope permissions, rule conditions and dashboard filters are written once, as
JEXL, and run either in Python (one record, one event) or in SQL (a list, an aggregate). The
clause selects exactly the rows for which ``filter_matches`` (Python evaluation of the same text)
is true; a row on which evaluation fails does not match.

The subset: comparisons ``== != < <= > >=``, ``&&``, ``||``, ``!`` (and ``and``/``or``/``not``),
``name in [v1, v2]``, ``'part' in name``, ``== null`` / ``!= null``, ``name|contains('x')``,
``name|startsWith('x')``, ``name|endsWith('x')``, a bare name as a condition (its truthiness), and
constant parts evaluated once, among them ``now`` and date arithmetic on it: ``now|addDays(-15)``,
``now|addHours(2)``, ``now|addMinutes(30)``, ``now|date`` (today). Anything else (arithmetic on a
field, conditionals, transforms of a field other than the three text tests) is a FilterError
naming it; a name that is not a column is an UnknownNameError. Fields holding lists (server/expressions/lists.py)
are tested by membership only.

Null and errors: Python evaluation has two outcomes SQL's three-valued logic does not, an error
(``x > 5`` with x null) that fails the whole expression unless ``&&``/``||`` skipped it, and plain
truthiness. Every condition is therefore compiled into two never-null predicates: *true* (the
condition evaluates truthy without error) and *false* (falsy without error); an error is neither.
``!`` swaps them and ``&&``/``||`` combine them exactly as Python short-circuits. Conditions that
cannot fail (``x != 5`` is ``x IS NULL OR x <> 5``) keep one predicate and negate it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyjexl import parser as jexl_ast
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from server.expressions import jexl, limits
from server.expressions.errors import ExpressionError, ExpressionLimitError, FilterError, UnknownNameError
from server.expressions.lists import ListColumn
from server.expressions.sql_functions import by_code_point, text_contains, text_ends_with
from server.expressions.trees import filter_tree

# A name may also stand for a constant list (``$me.groups``): tested with ``in`` and the list tests.
Columns = Mapping[str, "ColumnElement[Any] | ListColumn | list[Any]"]

_ORDERING = {"<", "<=", ">", ">="}
_TEXT_TESTS = ("contains", "startsWith", "endsWith")
_LIST_TESTS = ("containsAny", "containsAll")
_INT64 = 2**63


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # naive UTC, BOMS's convention for stored times


def _column_kind(column: ColumnElement[Any]) -> str | None:
    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer | Numeric | Float):
        return "number"
    if isinstance(kind, DateTime):
        return "date-time"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String):
        return "string"
    return None


def _value_kind(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date-time"
    if isinstance(value, date):
        return "date"
    return "list" if isinstance(value, list | tuple) else None


@dataclass(frozen=True)
class _Operand:
    label: str  # the field name or the constant's text, for messages
    kind: str | None
    sql: ColumnElement[Any] | None = None  # None: a constant
    value: Any = None
    failed: bool = False  # a constant whose evaluation fails: every row fails with it
    items: ListColumn | None = None  # a list field (kind "list-field")


@dataclass(frozen=True)
class _Condition:
    true: ColumnElement[bool]
    false_: ColumnElement[bool] | None = None  # None: exactly NOT true (the condition cannot fail)

    @property
    def false(self) -> ColumnElement[bool]:
        return not_(self.true) if self.false_ is None else self.false_

    @property
    def total(self) -> bool:
        return self.false_ is None


_FAILS = _Condition(false(), false())


def _guarded(guard: ColumnElement[bool], test: ColumnElement[bool]) -> _Condition:
    """A test that fails (neither true nor false) unless ``guard`` holds."""
    return _Condition(and_(guard, test), and_(guard, not_(test)))


class _Compiler:
    def __init__(self, text: str, columns: Columns, now: datetime) -> None:
        self.text, self.columns, self.now = text, columns, now

    def error(self, message: str, construct: str) -> FilterError:
        return FilterError(f"{message} in filter '{self.text}'", self.text, construct)

    # -- constants -------------------------------------------------------------------------
    def is_constant(self, node: Any) -> bool:
        if jexl.uses_relative(node):
            return False
        _, names = jexl.build(node)
        return all(name == "now" and name not in self.columns for name in names)

    def constant(self, node: Any) -> tuple[bool, Any]:
        fn, _ = jexl.build(node)
        try:
            return True, fn({"now": self.now}, None, limits.new_budget())
        except limits.LimitExceeded as exc:
            raise ExpressionLimitError(f"Filter '{self.text}' has a constant part that is {exc}", self.text) from None
        except Exception:  # noqa: BLE001 - Python evaluation fails on every row: so does the clause
            return False, None

    # -- operands --------------------------------------------------------------------------
    def path(self, node: Any) -> str:
        if node.relative:
            raise self.error("'.name' (a filter element) is not supported", "relative identifier")
        if node.subject is None:
            return node.value
        if not isinstance(node.subject, jexl_ast.Identifier):
            raise self.error(f"reading '{node.value}' of a computed value is not supported", "member access")
        return f"{self.path(node.subject)}.{node.value}"

    def operand(self, node: Any) -> _Operand:
        if self.is_constant(node):
            ok, value = self.constant(node)
            if not ok:
                return _Operand("(failing constant)", None, failed=True)
            kind = _value_kind(value)
            if kind is None:
                raise self.error(f"a constant {type(value).__name__} cannot be compared", "constant")
            if kind == "number" and isinstance(value, int) and not -_INT64 <= value < _INT64:
                raise self.error(f"the number {value} is beyond 64 bits", "number")
            texts = [value] if kind == "string" else [v for v in value if isinstance(v, str)] if kind == "list" else []
            if any("\x00" in t for t in texts):
                raise self.error("a NUL character in text", "NUL character")
            return _Operand(repr(value), kind, value=value)
        if isinstance(node, jexl_ast.Identifier):
            name = self.path(node)
            if name not in self.columns:
                raise UnknownNameError(f"Unknown name '{name}' in filter '{self.text}'", self.text, name)
            column = self.columns[name]
            if isinstance(column, list | tuple):
                return _Operand(name, "list", value=list(column))
            if isinstance(column, ListColumn):
                return _Operand(name, "list-field", items=column)
            kind = _column_kind(column)
            if kind is None:
                raise self.error(f"field '{name}' has a type filters cannot compare ({column.type})", "column type")
            return _Operand(name, kind, sql=column)
        if isinstance(node, jexl_ast.UnaryExpression) or (isinstance(node, jexl_ast.BinaryExpression) and (
                node.operator.symbol in _ORDERING or node.operator.symbol in ("==", "!=", "&&", "||", "in"))):
            raise self.error("a condition cannot be compared or used as a value", "a condition as a value")
        raise self.error(*_describe(node))

    # -- conditions ------------------------------------------------------------------------
    def condition(self, node: Any) -> _Condition:
        if self.is_constant(node):
            ok, value = self.constant(node)
            return (_Condition(true()) if value else _Condition(false())) if ok else _FAILS
        if isinstance(node, jexl_ast.UnaryExpression):
            inner = self.condition(node.right)
            return _Condition(inner.false, None if inner.total else inner.true)
        if isinstance(node, jexl_ast.BinaryExpression):
            symbol = node.operator.symbol
            if symbol in ("&&", "||"):
                return _combine(symbol, self.condition(node.left), self.condition(node.right))
            if symbol in ("==", "!=") or symbol in _ORDERING:
                return self.compare(symbol, self.operand(node.left), self.operand(node.right))
            if symbol == "in":
                return self.membership(self.operand(node.left), self.operand(node.right))
        if isinstance(node, jexl_ast.Transform) and node.name in _TEXT_TESTS + _LIST_TESTS:
            subject = self.operand(node.subject)
            if subject.items is not None:
                return self.list_test(node, subject)
            if node.name in _LIST_TESTS:
                raise self.error(f"'{node.name}' needs a list field, not {subject.label}", f"transform '{node.name}'")
            return self.text_test(node)
        if isinstance(node, jexl_ast.Identifier):
            operand = self.operand(node)
            if operand.items is not None:
                raise self.error(f"the list field {operand.label} is no condition by itself; test what it holds "
                                 f"({operand.label}|containsAny([...]))", "a list field as a condition")
            if operand.sql is None:  # a name standing for a constant list ($me.groups)
                raise self.error(f"the list {operand.label} is no condition by itself", "a list as a condition")
            return _truthy(operand)
        raise self.error(*_describe(node))

    def compare(self, symbol: str, left: _Operand, right: _Operand) -> _Condition:
        if left.failed or right.failed:
            return _FAILS
        if left.items is not None or right.items is not None:
            field, other = (left, right) if left.items is not None else (right, left)
            assert field.items is not None
            if other.kind == "null" and symbol in ("==", "!="):
                return _Condition(not_(field.items.present) if symbol == "==" else field.items.present)
            raise self.error(f"the list field {field.label} can only be compared with null; test what it holds "
                             f"with contains, containsAny, containsAll or in", f"'{symbol}' on a list field")
        if left.sql is None:  # constant on the left: mirror, so the column is on the left
            symbol = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(symbol, symbol)
            left, right = right, left
        if left.sql is None:  # two constants, one a name standing for a list ($me.groups == $me.roles)
            raise self.error(f"cannot compare {left.label} with {right.label}", f"'{symbol}' between constants")
        if right.kind == "null":
            if symbol in _ORDERING:
                return _FAILS  # Python cannot order null: every row fails
            test = left.sql.is_(None) if symbol == "==" else left.sql.is_not(None)
            return _Condition(test)
        self.check_kinds(symbol, left, right)
        # The constant keeps its own type: bound as the column's, 0.5 would become 0 for an integer column.
        a, b = left.sql, right.sql if right.sql is not None else literal(right.value)
        if symbol in _ORDERING and left.kind == "string":
            a, b = by_code_point(a), by_code_point(b) if right.sql is not None else b
        test = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[symbol]
        if right.sql is None:
            if symbol == "==":
                return _Condition(and_(left.sql.is_not(None), test))
            if symbol == "!=":
                return _Condition(or_(left.sql.is_(None), test))
            return _guarded(left.sql.is_not(None), test)
        both = and_(left.sql.is_not(None), right.sql.is_not(None))
        if symbol in _ORDERING:
            return _guarded(both, test)
        equal = or_(and_(left.sql.is_(None), right.sql.is_(None)), and_(both, a == b))
        return _Condition(equal if symbol == "==" else not_(equal))

    def check_kinds(self, symbol: str, left: _Operand, right: _Operand) -> None:
        if left.kind != right.kind:
            hint = " (use now|date for a date field)" if {left.kind, right.kind} == {"date", "date-time"} else ""
            raise self.error(f"cannot compare {left.label} ({left.kind}) with {right.label} ({right.kind}){hint}",
                             f"'{symbol}' between {left.kind} and {right.kind}")
        if symbol in _ORDERING and left.kind == "boolean":
            raise self.error(f"cannot order booleans ({left.label} {symbol} {right.label})", f"'{symbol}' on booleans")

    def membership(self, left: _Operand, right: _Operand) -> _Condition:
        if left.failed or right.failed:
            return _FAILS
        left = _bound(left) if right.items is not None else left
        if right.items is not None and left.sql is None and left.items is None:
            self.check_item(right, left)
            return _guarded(right.items.present, right.items.has(left.value))  # 'x' in null fails in Python
        if left.sql is not None and right.kind == "list":
            values = list(right.value)
            for value in values:
                if _value_kind(value) not in (left.kind, "null"):
                    raise self.error(f"{left.label} ({left.kind}) cannot be in a list holding {value!r}", "'in' list")
            known = [v for v in values if v is not None]
            test = and_(left.sql.is_not(None), left.sql.in_([literal(v) for v in known])) if known else false()
            return _Condition(or_(left.sql.is_(None), test) if None in values else test)
        if left.sql is None and left.items is None and right.kind == "list" and right.sql is None:
            return _Condition(true() if left.value in right.value else false())  # "managers" in $me.groups
        if left.sql is None and left.kind == "string" and right.kind == "string" and right.sql is not None:
            return _guarded(right.sql.is_not(None), text_contains(right.sql, literal(left.value, String())))
        raise self.error("'in' needs a field and a list of values ([1, 2]) or a text and a text field",
                         "'in' operands")

    def check_item(self, field: _Operand, value: _Operand) -> None:
        assert field.items is not None
        if value.kind != field.items.item_kind:
            raise self.error(f"the list field {field.label} holds {field.items.item_kind}s, not {value.label}",
                             "list item")

    def list_test(self, node: Any, subject: _Operand) -> _Condition:
        """``contains`` / ``containsAny`` / ``containsAll`` on a list field: null holds nothing (false)."""
        assert subject.items is not None
        args = [_bound(self.operand(arg)) for arg in node.args or ()]
        if len(args) != 1 or args[0].sql is not None or args[0].items is not None:
            raise self.error(f"'{node.name}' needs one constant argument", f"transform '{node.name}'")
        if node.name == "contains":
            self.check_item(subject, args[0])
            return _Condition(subject.items.has(args[0].value))
        if args[0].kind != "list":
            raise self.error(f"'{node.name}' needs a list of values, such as {subject.label}|{node.name}(['a', 'b'])",
                             f"transform '{node.name}'")
        values = list(dict.fromkeys(args[0].value))
        for value in values:
            self.check_item(subject, _Operand(repr(value), _value_kind(value), value=value))
        tests = [subject.items.has(value) for value in values]
        if node.name == "containsAny":
            return _Condition(or_(*tests) if tests else false())
        return _Condition(and_(subject.items.present, *tests))

    def text_test(self, node: Any) -> _Condition:
        subject = self.operand(node.subject)
        args = [self.operand(arg) for arg in node.args or ()]
        if subject.sql is None or subject.kind != "string":
            raise self.error(f"'{node.name}' needs a text field, not {subject.label}", f"transform '{node.name}'")
        if len(args) != 1 or args[0].kind != "string":
            raise self.error(f"'{node.name}' needs one text argument", f"transform '{node.name}'")
        part: str = args[0].value
        column = subject.sql
        if not part:
            test: ColumnElement[bool] = true()
        elif node.name == "contains":
            test = text_contains(column, literal(part, String()))
        elif node.name == "startsWith":
            test = func.substr(column, 1, len(part), type_=String()) == literal(part, String())
        else:
            test = text_ends_with(column, literal(part, String()), literal(len(part), Integer()))
        return _Condition(and_(column.is_not(None), test))  # null contains nothing: false, not an error


def _bound(operand: _Operand) -> _Operand:
    """A name bound to a constant (``$me``, the caller's username) as that constant, for list tests."""
    if isinstance(operand.sql, BindParameter) and operand.kind is not None:
        return _Operand(operand.label, operand.kind, value=operand.sql.value)
    return operand


def _truthy(operand: _Operand) -> _Condition:
    column = operand.sql
    assert column is not None
    if operand.kind == "boolean":
        return _Condition(and_(column.is_not(None), column == literal(True, Boolean())))
    if operand.kind == "number":
        return _Condition(and_(column.is_not(None), column != 0))
    if operand.kind == "string":
        return _Condition(and_(column.is_not(None), column != ""))
    return _Condition(column.is_not(None))


def _combine(symbol: str, a: _Condition, b: _Condition) -> _Condition:
    if symbol == "&&":
        true_ = and_(a.true, b.true)
        return _Condition(true_) if a.total and b.total else _Condition(true_, or_(a.false, and_(a.true, b.false)))
    true_ = or_(a.true, and_(a.false, b.true))
    return _Condition(true_) if a.total and b.total else _Condition(true_, and_(a.false, b.false))


def _describe(node: Any) -> tuple[str, str]:
    if isinstance(node, jexl_ast.BinaryExpression):
        symbol = node.operator.symbol
        return f"the operator '{symbol}' on a field is not supported", f"operator '{symbol}'"
    if isinstance(node, jexl_ast.Transform):
        return f"the transform '{node.name}' on a field is not supported", f"transform '{node.name}'"
    name = {"ConditionalExpression": "a conditional (a ? b : c)", "FilterExpression": "indexing or filtering",
            "ArrayLiteral": "a list of fields", "ObjectLiteral": "an object",
            }.get(type(node).__name__, type(node).__name__)
    return f"{name} is not supported", name


def compile_filter(text: str, columns: Columns, now: datetime | None = None) -> ColumnElement[bool]:
    """The WHERE clause selecting the rows ``text`` accepts; ``columns`` maps each name (dotted for
    nested values: ``customer.tier``) to a typed column expression; ``now`` defaults to naive UTC."""
    tree = filter_tree(text)  # cached: a list's filter comes again with every page
    try:
        return _Compiler(text, columns, now or _utcnow()).condition(tree).true
    except RecursionError:
        raise ExpressionLimitError(f"Filter '{text}' is nested too deeply", text) from None


def filter_matches(text: str, row: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Python's side of ``compile_filter``: whether ``row`` (a value for every name) is accepted."""
    try:
        return bool(jexl.compile_expression(text).evaluate({"now": now or _utcnow(), **row}))
    except ExpressionError:
        return False
