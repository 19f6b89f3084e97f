"""JEXL: gateway conditions, assignments, due dates, DMN expressions, rule conditions and formulas.

Expressions are JEXL, parsed by pyjexl and then compiled once into nested Python closures.
pyjexl's own evaluator is not used: it silently turns unknown names into None, evaluates
transform arguments without the context, and re-dispatches on every node by name, which is
several times slower than calling pre-built closures.  Nothing here calls Python's eval and
member access only reads mappings, so expressions cannot reach object attributes.  Every evaluation
is bounded by server.expressions.limits; a constant part beyond them is refused at compile time.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any

from parsimonious.exceptions import ParseError as GrammarError
from parsimonious.expressions import Regex
from pyjexl import JEXL
from pyjexl import parser as jexl_ast
from pyjexl.operators import Operator

from server.expressions import limits
from server.expressions.errors import ExpressionError, ExpressionLimitError, UnknownNameError
from server.expressions.functions import FUNCTIONS, FunctionCall, FunctionParser, add_function_calls, register_function
from server.expressions.juel import translate_juel
from server.expressions.juel_values import exported, with_implicit
from server.expressions.transforms import TRANSFORMS, register_transform
from server.expressions.values import exact as _exact
from server.expressions.values import kind_of as _kind

# (context, relative value inside a filter, the evaluation's budget) -> value
_Fn = Callable[[Mapping[str, Any], Any, limits.Budget], Any]

_WRAPPED_RE = re.compile(r"\s*[$#]\{(.*)\}\s*", re.DOTALL)
_FEEL_PREFIX_RE = re.compile(r"\s*=(?!=)(.*)", re.DOTALL)
# Replacements keep the original length so parser error positions still point into the source.
_WORD_OPERATORS = {"and": "&& ", "or": "||", "not": "!  "}
_WORD_RE = re.compile(
    r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?<![\w$.|])(and|or|not)(?![\w$])(?!\s*:)""", re.DOTALL
)
__all__ = ["Expression", "ExpressionError", "compile_expression", "evaluate", "is_expression",
           "register_function", "register_transform"]


class _Failure(Exception):
    """Raised inside closures; turned into ExpressionError once the source text is known."""


class _Jexl(JEXL):
    """pyjexl's grammar tries the ``true``/``false`` literals before identifiers and PEG parsing never
    backtracks into a choice that already succeeded, so names such as ``trueCount`` fail to parse.
    Requiring a word boundary after the literal fixes that without forking the grammar."""

    @property
    def grammar(self) -> Any:
        if not self._grammar:
            grammar = super().grammar
            grammar["boolean"].members = (Regex(r"(?:true|false)(?![A-Za-z0-9_$])"),)
            add_function_calls(grammar)
        return self._grammar


_JEXL = _Jexl()
# pyjexl gives && and || the same precedence, so `a || b && c` would mean `(a || b) && c`;
# analysts write and/or expecting the precedence of every other language.
_JEXL.config.binary_operators["&&"] = Operator("&&", 15, lambda a, b: a() and b(), evaluate_lazy=True)

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": limits.multiply, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "^": limits.power, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge, "in": lambda a, b: a in b,
}

_ARITHMETIC = {"+", "-", "*", "/", "//", "%", "^"}


def _member(subject: Any, key: Any) -> Any:
    # Null-safe like JavaScript JEXL: `customer.address.city` is null when address is null.
    if subject is None:
        return None
    if isinstance(subject, Mapping):
        return subject.get(key)
    raise _Failure(f"cannot read '{key}' of a {_kind(subject)}")


def _index(values: Any, key: Any) -> Any:
    if values is None or isinstance(values, Mapping):
        return _member(values, key)
    if isinstance(values, list | tuple | str) and isinstance(key, int) and not isinstance(key, bool):
        return values[key] if -len(values) <= key < len(values) else None
    raise _Failure(f"cannot index a {_kind(values)} with a {_kind(key)}")


def uses_relative(node: Any) -> bool:
    """Whether a filter body refers to the element being filtered; pyjexl's own flag is wrong for
    member chains (`items[.a.b == 1]`) and for identifiers inside array and object literals."""
    if isinstance(node, jexl_ast.Identifier):
        return node.relative or (node.subject is not None and uses_relative(node.subject))
    if isinstance(node, jexl_ast.FilterExpression):
        return uses_relative(node.subject)  # a nested filter's body is relative to its own subject
    if isinstance(node, jexl_ast.ArrayLiteral):
        return any(uses_relative(v) for v in node.value)
    if isinstance(node, jexl_ast.ObjectLiteral):
        return any(uses_relative(v) for v in node.value.values())
    return any(uses_relative(child) for child in node.children if child is not None)


def _build(node: Any, names: list[str]) -> _Fn:
    """Compile one pyjexl AST node into a closure, recording root names in source order."""
    if isinstance(node, jexl_ast.Literal):
        value = node.value
        return lambda c, r, k: value
    if isinstance(node, jexl_ast.Identifier):
        return _build_identifier(node, names)
    if isinstance(node, jexl_ast.BinaryExpression):
        return _build_binary(node.operator, _build(node.left, names), _build(node.right, names))
    if isinstance(node, jexl_ast.UnaryExpression):
        operand = _build(node.right, names)  # `!` is the only unary operator JEXL defines
        return lambda c, r, k: not operand(c, r, k)
    if isinstance(node, jexl_ast.ConditionalExpression):
        test, yes, no = (_build(n, names) for n in (node.test, node.consequent, node.alternate))
        return lambda c, r, k: yes(c, r, k) if test(c, r, k) else no(c, r, k)
    if isinstance(node, jexl_ast.ArrayLiteral):
        items = [_build(v, names) for v in node.value]
        return lambda c, r, k: [item(c, r, k) for item in items]
    if isinstance(node, jexl_ast.ObjectLiteral):
        pairs = [(key, _build(v, names)) for key, v in node.value.items()]
        return lambda c, r, k: {key: value(c, r, k) for key, value in pairs}
    if isinstance(node, jexl_ast.Transform):
        return _build_transform(node, names)
    if isinstance(node, jexl_ast.FilterExpression):
        return _build_filter(node, names)
    if isinstance(node, FunctionCall):
        return _build_call(node, names)
    raise ExpressionError(f"unsupported syntax {type(node).__name__}")


def _build_identifier(node: Any, names: list[str]) -> _Fn:
    key = node.value
    if node.subject is not None:
        subject = _build(node.subject, names)
        return lambda c, r, k: _member(subject(c, r, k), key)
    if node.relative:
        return lambda c, r, k: _member(r, key)
    if key == "null":  # pyjexl has no null literal; it would otherwise be an unknown variable
        return lambda c, r, k: None
    names.append(key)
    return lambda c, r, k: c[key]


def _build_binary(op: Operator, left: _Fn, right: _Fn) -> _Fn:
    symbol = op.symbol
    if symbol == "&&":
        return lambda c, r, k: left(c, r, k) and right(c, r, k)
    if symbol == "||":
        return lambda c, r, k: left(c, r, k) or right(c, r, k)
    fn = _BINARY.get(symbol) or op.evaluate
    grows = symbol in _ARITHMETIC

    def binary(c: Mapping[str, Any], r: Any, k: limits.Budget) -> Any:
        a, b = _exact(left(c, r, k), right(c, r, k))
        try:
            return limits.check_value(fn(a, b), k) if grows else fn(a, b)
        except limits.LimitExceeded:
            raise
        except ZeroDivisionError:
            raise _Failure("division by zero") from None
        except OverflowError:
            raise limits.LimitExceeded("number too large (beyond the range of floating-point numbers)") from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            detail = f" ({exc})" if isinstance(exc, ValueError) else ""
            raise _Failure(f"cannot apply '{symbol}' to {_kind(a)} and {_kind(b)}{detail}") from None

    return binary


def _build_transform(node: Any, names: list[str]) -> _Fn:
    name = node.name
    if name not in TRANSFORMS:
        raise ExpressionError(f"Unknown transform '{name}'")
    subject = _build(node.subject, names)
    args = [_build(a, names) for a in node.args or ()]

    def transform(c: Mapping[str, Any], r: Any, k: limits.Budget) -> Any:
        value = subject(c, r, k)
        try:
            return limits.check_value(TRANSFORMS[name](value, *(a(c, r, k) for a in args)), k)
        except (_Failure, ExpressionError, limits.LimitExceeded):
            raise
        except Exception as exc:
            raise _Failure(f"transform '{name}' failed: {exc}") from None

    return transform


def _build_call(node: FunctionCall, names: list[str]) -> _Fn:
    name = node.name
    if name not in FUNCTIONS:
        raise ExpressionError(f"Unknown function '{name}'")
    args = [_build(a, names) for a in node.args]

    def call(c: Mapping[str, Any], r: Any, k: limits.Budget) -> Any:
        try:
            return limits.check_value(FUNCTIONS[name](*(a(c, r, k) for a in args)), k)
        except (_Failure, ExpressionError, limits.LimitExceeded):
            raise
        except Exception as exc:
            raise _Failure(f"function '{name}' failed: {exc}") from None

    return call


def _build_filter(node: Any, names: list[str]) -> _Fn:
    subject = _build(node.subject, names)
    body = _build(node.expression, names)
    if not uses_relative(node.expression):
        def lookup(c: Mapping[str, Any], r: Any, k: limits.Budget) -> Any:
            values, key = subject(c, r, k), body(c, r, k)
            # JEXL semantics: a constant true/false filter keeps or drops the whole collection.
            if key is True:
                return values
            return None if key is False else _index(values, key)

        return lookup

    def select(c: Mapping[str, Any], r: Any, k: limits.Budget) -> Any:
        values = subject(c, r, k)
        if values is None:
            return None
        if not isinstance(values, list | tuple):
            raise _Failure(f"cannot filter a {_kind(values)}")
        limits.charge_steps(len(values), k)  # nested filters charge once per outer element: n * m
        return [v for v in values if body(c, v, k)]

    return select


def _translate_word_operators(text: str) -> str:
    """Rewrite and/or/not as JEXL operators.  String literals are matched first and returned
    unchanged; the look-arounds skip longer identifiers (`android`), attribute names (`a.or`),
    transform names and object keys (`{not: 1}`)."""
    return _WORD_RE.sub(lambda m: m.group(1) or _WORD_OPERATORS[m.group(2)], text)


def _children(node: Any) -> list[Any]:
    if isinstance(node, jexl_ast.ArrayLiteral):
        return list(node.value)
    if isinstance(node, jexl_ast.ObjectLiteral):
        return list(node.value.values())
    if isinstance(node, jexl_ast.Transform):
        return [node.subject, *(node.args or ())]
    if isinstance(node, FunctionCall):
        return list(node.args)
    return [child for child in node.children if child is not None]


def _depth(tree: Any) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:  # iterative: the tree may be deeper than Python's stack
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


def _is_constant(node: Any) -> bool:
    """Whether a sub-tree reads nothing: no variables, no filter element, no transform (a
    transform may be re-registered, so its result is not known until evaluation)."""
    if isinstance(node, jexl_ast.Literal):
        return True
    if isinstance(node, jexl_ast.Identifier):
        return node.value == "null" and node.subject is None and not node.relative
    if isinstance(node, jexl_ast.Transform | jexl_ast.FilterExpression | FunctionCall):
        return False
    return all(_is_constant(child) for child in _children(node))


def _check_constants(node: Any) -> None:
    """Evaluate the largest constant parts once, so `2 ^ 100000` is refused when the expression is
    compiled (at deploy, naming the element) instead of failing each time it runs."""
    if isinstance(node, jexl_ast.Literal):
        limits.check_value(node.value, limits.new_budget())  # a 400-digit literal is over the bounds too
        return
    if _is_constant(node):
        fn = _build(node, [])
        try:
            fn({}, None, limits.new_budget())
        except limits.LimitExceeded:
            raise
        except Exception:  # noqa: BLE001 - other failures (1/0) stay run-time errors, as before
            pass
        return
    for child in _children(node):
        _check_constants(child)


class Expression:
    """A parsed, ready-to-evaluate expression; immutable and safe to share between threads.

    ``names`` are the root variables it reads (``a`` for ``a.b``), so a caller can refuse an
    expression naming an unknown field when it is saved (``check_names``)."""

    __slots__ = ("source", "names", "_ordered_names", "_fn")

    def __init__(self, source: str, ordered_names: tuple[str, ...], fn: _Fn) -> None:
        self.source = source
        self.names: frozenset[str] = frozenset(ordered_names)
        self._ordered_names = ordered_names
        self._fn = fn

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def check_names(self, known: Collection[str], what: str = "name") -> None:
        """UnknownNameError naming the first name (in source order) that is not in ``known``."""
        for name in self._ordered_names:
            if name not in known:
                raise UnknownNameError(f"Unknown {what} '{name}' in expression '{self.source}'", self.source, name)

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        # Checked in source order so the error names the first missing variable deterministically.
        if any(name not in context for name in self._ordered_names):
            context = with_implicit(context, self._ordered_names)  # `execution` in a process
            self.check_names(context, "variable")
        try:
            return exported(self._fn(context, None, limits.new_budget()))
        except limits.LimitExceeded as exc:
            raise ExpressionLimitError(f"Cannot evaluate expression '{self.source}': {exc}", self.source) from None
        except (_Failure, ExpressionError) as exc:
            raise ExpressionError(f"Cannot evaluate expression '{self.source}': {exc}", self.source) from None
        except Exception as exc:  # a bug in a transform or an exotic context value must not escape raw
            message = f"Cannot evaluate expression '{self.source}': {type(exc).__name__}: {exc}"
            raise ExpressionError(message, self.source) from None


def is_expression(value: str | None) -> bool:
    """Whether a BPMN attribute holds an expression (`${...}`, `#{...}`, `=...`) rather than a literal."""
    text = (value or "").strip()
    return text.startswith(("${", "#{", "="))


def parse(text: str) -> Any:
    """The pyjexl syntax tree of an expression (wrappers and word operators handled), or ExpressionError."""
    if not isinstance(text, str):
        raise ExpressionError(f"Expression must be text, got {_kind(text)}", str(text))
    if len(text) > limits.MAX_SOURCE:
        raise ExpressionLimitError(f"Expression too long ({len(text):,} characters, at most "
                                   f"{limits.MAX_SOURCE:,})", text[:200])
    match = _WRAPPED_RE.fullmatch(text) or _FEEL_PREFIX_RE.fullmatch(text)
    body, offset = (match.group(1), match.start(1)) if match else (text, 0)
    if not body.strip():
        raise ExpressionError(f"Empty expression '{text}'", text)
    try:
        # JUEL spellings (Camunda 7 models) and word operators become JEXL before parsing.
        tree = FunctionParser(_JEXL.config).visit(_JEXL.grammar.parse(_translate_word_operators(translate_juel(body))))
    except GrammarError as exc:
        position = offset + exc.pos
        near = text[position : position + 15].strip()
        where = f"near '{near}'" if near else "at the end"
        raise ExpressionError(f"Syntax error in expression '{text}' {where} (position {position})", text) from None
    except RecursionError:
        raise _too_deep(text) from None
    except Exception as exc:  # parsimonious wraps visitor failures such as invalid operators
        if isinstance(exc.__context__, RecursionError):
            raise _too_deep(text) from None
        raise ExpressionError(f"Syntax error in expression '{text}': {exc}", text) from None
    if _depth(tree) > limits.MAX_DEPTH:
        raise _too_deep(text)
    return tree


def _too_deep(text: str) -> ExpressionLimitError:
    return ExpressionLimitError(f"Expression '{text}' is nested too deeply (more than {limits.MAX_DEPTH} levels)",
                                text)


def build(tree: Any) -> tuple[_Fn, tuple[str, ...]]:
    """A syntax tree compiled to a closure ``fn(context, None)`` and the root names it reads."""
    names: list[str] = []
    return _build(tree, names), tuple(dict.fromkeys(names))


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    tree = parse(text)
    try:
        fn, names = build(tree)
        _check_constants(tree)
    except limits.LimitExceeded as exc:
        raise ExpressionLimitError(f"Expression '{text}' has a constant part that is {exc}", text) from None
    except ExpressionError as exc:
        raise ExpressionError(f"{exc} in expression '{text}'", text) from None
    return Expression(text, names, fn)


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    return compile_expression(text).evaluate(context)
