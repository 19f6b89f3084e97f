"""JEXL function calls (`name(args...)`): the registry.

pyjexl 0.3 has transforms (`value|name`) but no function calls; BOMS adds them to the grammar so
the assignment rules analysts know from other engines read naturally (`manager(initiator)`).
Nothing here knows what a function does: the layer that owns the data registers the name (so
expressions naming it compile, and deploy-time checks refuse unknown names) and supplies the
implementation. Functions that need a database get it from their registrant, never from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from parsimonious.expressions import Literal, Optional, Sequence
from pyjexl import parser as jexl_ast

_IDENT_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")

# Looked up at each call, so re-registering a function affects already compiled expressions.
FUNCTIONS: dict[str, Callable[..., Any]] = {}


def register_function(name: str, fn: Callable[..., Any]) -> None:
    """Make ``name(args...)`` available to every expression; ``fn(*args)``."""
    if not _IDENT_RE.fullmatch(name):
        raise ValueError(f"invalid function name {name!r}")
    if not callable(fn):
        raise TypeError(f"function {name!r} must be callable")
    FUNCTIONS[name] = fn


class FunctionCall(jexl_ast.Node):
    """``name(args...)``: a call of a registered function (see server.expressions.functions)."""

    fields = ["name", "args"]

    @property
    def children(self) -> tuple[Any, ...]:
        return tuple(self.args or ())


def add_function_calls(grammar: Any) -> None:
    """``function_call = identifier _ "(" _ value_list? _ ")"``, tried before a plain identifier."""
    space = grammar["_"]
    call = Sequence(grammar["identifier"], space, Literal("("), space, Optional(grammar["value_list"]),
                    space, Literal(")"), name="function_call")
    members = list(grammar["value"].members)
    members.insert(members.index(grammar["identifier"]), call)
    grammar["value"].members = tuple(members)


class FunctionParser(jexl_ast.Parser):
    """pyjexl's parser plus the `function_call` rule."""

    def visit_function_call(self, node: Any, children: list[Any]) -> FunctionCall:
        identifier, _, _, _, arguments, _, _ = children
        args = arguments[0] if isinstance(arguments, list) and arguments else []
        return FunctionCall(name=identifier.value, args=list(args))
