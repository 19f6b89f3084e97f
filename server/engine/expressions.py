"""Sandboxed expression language for gateway conditions, assignments, due dates and DMN entries.

Expressions are JEXL, parsed by pyjexl and then compiled once into nested Python closures.
pyjexl's own evaluator is not used: it silently turns unknown names into None, evaluates
transform arguments without the context, and re-dispatches on every node by name, which is
several times slower than calling pre-built closures.  Nothing here calls Python's eval and
member access only reads mappings, so expressions cannot reach object attributes.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from parsimonious.exceptions import ParseError as GrammarError
from parsimonious.expressions import Regex
from pyjexl import JEXL
from pyjexl import parser as jexl_ast
from pyjexl.operators import Operator

_Fn = Callable[[Mapping[str, Any], Any], Any]  # (context, relative value inside a filter) -> value

_IDENT_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_WRAPPED_RE = re.compile(r"\s*[$#]\{(.*)\}\s*", re.DOTALL)
_FEEL_PREFIX_RE = re.compile(r"\s*=(?!=)(.*)", re.DOTALL)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Replacements keep the original length so parser error positions still point into the source.
_WORD_OPERATORS = {"and": "&& ", "or": "||", "not": "!  "}
_WORD_RE = re.compile(
    r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?<![\w$.|])(and|or|not)(?![\w$])(?!\s*:)""", re.DOTALL
)
_MAX_REPEAT = 1_000_000  # caps "x" * n so a typo cannot allocate gigabytes
_MAX_EXPONENT = 10_000


class ExpressionError(Exception):
    """An expression could not be compiled or evaluated; ``expression`` holds the original text."""

    def __init__(self, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.expression = expression


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
        return self._grammar


_JEXL = _Jexl()
# pyjexl gives && and || the same precedence, so `a || b && c` would mean `(a || b) && c`;
# analysts write and/or expecting the precedence of every other language.
_JEXL.config.binary_operators["&&"] = Operator("&&", 15, lambda a, b: a() and b(), evaluate_lazy=True)
_TRANSFORMS: dict[str, Callable[..., Any]] = _JEXL.config.transforms


_KINDS = {"NoneType": "null", "bool": "boolean", "int": "number", "float": "number", "str": "string",
          "dict": "object", "list": "list", "tuple": "list"}


def _kind(value: Any) -> str:
    """Type names in the analyst's vocabulary (JSON), for error messages."""
    name = type(value).__name__
    return _KINDS.get(name, name)


def _mul(a: Any, b: Any) -> Any:
    for seq, count in ((a, b), (b, a)):
        if isinstance(seq, str | list) and isinstance(count, int) and len(seq) * count > _MAX_REPEAT:
            raise ValueError("result would be too large")
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(b, int) and abs(b) > _MAX_EXPONENT and isinstance(a, int) and abs(a) > 1:
        raise ValueError("exponent is too large")
    return a**b


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": _mul, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "^": _pow, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge, "in": lambda a, b: a in b,
}


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


def _uses_relative(node: Any) -> bool:
    """Whether a filter body refers to the element being filtered; pyjexl's own flag is wrong for
    member chains (`items[.a.b == 1]`) and for identifiers inside array and object literals."""
    if isinstance(node, jexl_ast.Identifier):
        return node.relative or (node.subject is not None and _uses_relative(node.subject))
    if isinstance(node, jexl_ast.FilterExpression):
        return _uses_relative(node.subject)  # a nested filter's body is relative to its own subject
    if isinstance(node, jexl_ast.ArrayLiteral):
        return any(_uses_relative(v) for v in node.value)
    if isinstance(node, jexl_ast.ObjectLiteral):
        return any(_uses_relative(v) for v in node.value.values())
    return any(_uses_relative(child) for child in node.children if child is not None)


def _build(node: Any, names: list[str]) -> _Fn:
    """Compile one pyjexl AST node into a closure, recording root names in source order."""
    if isinstance(node, jexl_ast.Literal):
        value = node.value
        return lambda c, r: value
    if isinstance(node, jexl_ast.Identifier):
        return _build_identifier(node, names)
    if isinstance(node, jexl_ast.BinaryExpression):
        return _build_binary(node.operator, _build(node.left, names), _build(node.right, names))
    if isinstance(node, jexl_ast.UnaryExpression):
        operand = _build(node.right, names)  # `!` is the only unary operator JEXL defines
        return lambda c, r: not operand(c, r)
    if isinstance(node, jexl_ast.ConditionalExpression):
        test, yes, no = (_build(n, names) for n in (node.test, node.consequent, node.alternate))
        return lambda c, r: yes(c, r) if test(c, r) else no(c, r)
    if isinstance(node, jexl_ast.ArrayLiteral):
        items = [_build(v, names) for v in node.value]
        return lambda c, r: [item(c, r) for item in items]
    if isinstance(node, jexl_ast.ObjectLiteral):
        pairs = [(key, _build(v, names)) for key, v in node.value.items()]
        return lambda c, r: {key: value(c, r) for key, value in pairs}
    if isinstance(node, jexl_ast.Transform):
        return _build_transform(node, names)
    if isinstance(node, jexl_ast.FilterExpression):
        return _build_filter(node, names)
    raise ExpressionError(f"unsupported syntax {type(node).__name__}")


def _build_identifier(node: Any, names: list[str]) -> _Fn:
    key = node.value
    if node.subject is not None:
        subject = _build(node.subject, names)
        return lambda c, r: _member(subject(c, r), key)
    if node.relative:
        return lambda c, r: _member(r, key)
    if key == "null":  # pyjexl has no null literal; it would otherwise be an unknown variable
        return lambda c, r: None
    names.append(key)
    return lambda c, r: c[key]


def _build_binary(op: Operator, left: _Fn, right: _Fn) -> _Fn:
    symbol = op.symbol
    if symbol == "&&":
        return lambda c, r: left(c, r) and right(c, r)
    if symbol == "||":
        return lambda c, r: left(c, r) or right(c, r)
    fn = _BINARY.get(symbol) or op.evaluate

    def binary(c: Mapping[str, Any], r: Any) -> Any:
        a, b = left(c, r), right(c, r)
        try:
            return fn(a, b)
        except ZeroDivisionError:
            raise _Failure("division by zero") from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            detail = f" ({exc})" if isinstance(exc, ValueError) else ""
            raise _Failure(f"cannot apply '{symbol}' to {_kind(a)} and {_kind(b)}{detail}") from None

    return binary


def _build_transform(node: Any, names: list[str]) -> _Fn:
    name = node.name
    if name not in _TRANSFORMS:
        raise ExpressionError(f"Unknown transform '{name}'")
    subject = _build(node.subject, names)
    args = [_build(a, names) for a in node.args or ()]

    def transform(c: Mapping[str, Any], r: Any) -> Any:
        value = subject(c, r)
        try:
            # Looked up per call so re-registering a transform affects already compiled expressions.
            return _TRANSFORMS[name](value, *(a(c, r) for a in args))
        except (_Failure, ExpressionError):
            raise
        except Exception as exc:
            raise _Failure(f"transform '{name}' failed: {exc}") from None

    return transform


def _build_filter(node: Any, names: list[str]) -> _Fn:
    subject = _build(node.subject, names)
    body = _build(node.expression, names)
    if not _uses_relative(node.expression):
        def lookup(c: Mapping[str, Any], r: Any) -> Any:
            values, key = subject(c, r), body(c, r)
            # JEXL semantics: a constant true/false filter keeps or drops the whole collection.
            if key is True:
                return values
            return None if key is False else _index(values, key)

        return lookup

    def select(c: Mapping[str, Any], r: Any) -> Any:
        values = subject(c, r)
        if values is None:
            return None
        if not isinstance(values, list | tuple):
            raise _Failure(f"cannot filter a {_kind(values)}")
        return [v for v in values if body(c, v)]

    return select


def _translate_word_operators(text: str) -> str:
    """Rewrite and/or/not as JEXL operators.  String literals are matched first and returned
    unchanged; the look-arounds skip longer identifiers (`android`), attribute names (`a.or`),
    transform names and object keys (`{not: 1}`)."""
    return _WORD_RE.sub(lambda m: m.group(1) or _WORD_OPERATORS[m.group(2)], text)


class Expression:
    """A parsed, ready-to-evaluate expression; immutable and safe to share between threads."""

    __slots__ = ("source", "names", "_ordered_names", "_fn")

    def __init__(self, source: str, ordered_names: tuple[str, ...], fn: _Fn) -> None:
        self.source = source
        self.names: frozenset[str] = frozenset(ordered_names)
        self._ordered_names = ordered_names
        self._fn = fn

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        # Checked in source order so the error names the first missing variable deterministically.
        for name in self._ordered_names:
            if name not in context:
                raise ExpressionError(f"Unknown variable '{name}' in expression '{self.source}'", self.source)
        try:
            return self._fn(context, None)
        except (_Failure, ExpressionError) as exc:
            raise ExpressionError(f"Cannot evaluate expression '{self.source}': {exc}", self.source) from None
        except Exception as exc:  # a bug in a transform or an exotic context value must not escape raw
            message = f"Cannot evaluate expression '{self.source}': {type(exc).__name__}: {exc}"
            raise ExpressionError(message, self.source) from None


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"Expression must be text, got {_kind(text)}", str(text))
    match = _WRAPPED_RE.fullmatch(text) or _FEEL_PREFIX_RE.fullmatch(text)
    body, offset = (match.group(1), match.start(1)) if match else (text, 0)
    if not body.strip():
        raise ExpressionError(f"Empty expression '{text}'", text)
    try:
        tree = jexl_ast.Parser(_JEXL.config).visit(_JEXL.grammar.parse(_translate_word_operators(body)))
    except GrammarError as exc:
        position = offset + exc.pos
        near = text[position : position + 15].strip()
        where = f"near '{near}'" if near else "at the end"
        message = f"Syntax error in expression '{text}' {where} (position {position})"
        raise ExpressionError(message, text) from None
    except Exception as exc:  # parsimonious wraps visitor failures such as invalid operators
        raise ExpressionError(f"Syntax error in expression '{text}': {exc}", text) from None
    names: list[str] = []
    try:
        fn = _build(tree, names)
    except ExpressionError as exc:
        raise ExpressionError(f"{exc} in expression '{text}'", text) from None
    return Expression(text, tuple(dict.fromkeys(names)), fn)


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    return compile_expression(text).evaluate(context)


def register_transform(name: str, fn: Callable[..., Any]) -> None:
    """Make ``value|name(args...)`` available to every expression; ``fn(value, *args)``."""
    if not _IDENT_RE.fullmatch(name):
        raise ValueError(f"invalid transform name {name!r}")
    if not callable(fn):
        raise TypeError(f"transform {name!r} must be callable")
    _TRANSFORMS[name] = fn


# Default transforms.  Null passes through (or counts as empty) so optional form fields do not
# turn every condition into an error; other wrong types fail loudly instead of guessing.


def _change_case(value: Any, upper: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value and (value.upper() if upper else value.lower())
    raise TypeError(f"expects a string, got {_kind(value)}")


def _to_number(value: Any) -> int | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    raise ValueError(f"cannot convert {_kind(value)} {value!r} to a number")


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise TypeError(f"expects a string, list or object, got {_kind(value)}")


def _to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # JSON spelling, not Python's True/False
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


register_transform("lower", lambda v: _change_case(v, upper=False))
register_transform("upper", lambda v: _change_case(v, upper=True))
register_transform("length", _length)
register_transform("string", _to_string)
register_transform("number", _to_number)
register_transform("int", lambda v: None if (n := _to_number(v)) is None else int(n))
