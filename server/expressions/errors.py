"""The errors every expression language here raises; the workflow binding, rules and records map them."""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression could not be compiled or evaluated; ``expression`` holds the original text."""

    def __init__(self, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.expression = expression


class ExpressionLimitError(ExpressionError):
    """A number, text or list would exceed the bounds in ``server.expressions.limits``, or an
    evaluation would do more work than one evaluation may (raised at compile time for constants)."""


class UnknownNameError(ExpressionError):
    """An expression reads a name the caller does not provide (a field, a variable); ``name`` says which."""

    def __init__(self, message: str, expression: str = "", name: str = "") -> None:
        super().__init__(message, expression)
        self.name = name


class FilterError(ExpressionError):
    """A construct outside the filter subset that compiles to SQL; ``construct`` names it."""

    def __init__(self, message: str, expression: str = "", construct: str = "") -> None:
        super().__init__(message, expression)
        self.construct = construct
