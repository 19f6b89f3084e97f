"""Bounds on what one expression evaluation may compute, so no expression can hold a CPU for long.

Numbers, texts and lists are bounded where an operator or transform produces them: checked before
the work where the size is known in advance (``2 ^ n``, ``'x' * n``), on the result otherwise.
Across one evaluation the texts and lists produced and the filter steps are summed in a budget
(a two-item list handed down the compiled closures), so many small operations cannot add up to a
long one. Together they keep every evaluation in the low milliseconds
(tests/expressions/test_limits.py measures it).
"""

from __future__ import annotations

import math
from typing import Any

# 1024 bits is where floats end (~1.8e308): no business number needs more, and arithmetic on such
# integers stays in microseconds.
MAX_INT_BITS = 1024
MAX_LENGTH = 1_000_000  # characters of one text, items of one list
MAX_PRODUCED = 4_000_000  # characters and items produced by one evaluation, summed
MAX_STEPS = 10_000  # filter-body evaluations (`items[.price > 10]`) in one evaluation, ~1-3 µs each
MAX_DEPTH = 100  # nesting of an expression's syntax tree; deeper would exhaust Python's stack
MAX_SOURCE = 20_000  # characters of expression text

_NUMBER = f"number too large (more than {MAX_INT_BITS} bits)"
_TEXT = f"text or list too large (more than {MAX_LENGTH:,} characters or items)"

Budget = list[int]  # [characters and items produced, filter steps]


class LimitExceeded(Exception):
    """Raised inside evaluation; the compiler turns it into ExpressionLimitError with the source text."""


def new_budget() -> Budget:
    return [0, 0]


def charge_steps(count: int, budget: Budget) -> None:
    budget[1] += count
    if budget[1] > MAX_STEPS:
        raise LimitExceeded(f"evaluation too large (more than {MAX_STEPS:,} filter steps)")


def check_value(value: Any, budget: Budget) -> Any:
    """``value`` if it is within bounds (texts and lists charged to ``budget``); LimitExceeded otherwise."""
    kind = type(value)
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(_NUMBER)
    elif kind is float:
        if not math.isfinite(value):
            raise LimitExceeded("number too large (not a finite number)")
    elif kind is str or kind is list or kind is tuple:
        if len(value) > MAX_LENGTH:
            raise LimitExceeded(_TEXT)
        budget[0] += len(value)
        if budget[0] > MAX_PRODUCED:
            raise LimitExceeded(f"evaluation too large (produces more than {MAX_PRODUCED:,} characters or items)")
    return value


def multiply(a: Any, b: Any) -> Any:
    for seq, count in ((a, b), (b, a)):
        if isinstance(seq, str | list) and isinstance(count, int) and len(seq) * count > MAX_LENGTH:
            raise LimitExceeded(_TEXT)
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        raise LimitExceeded(_NUMBER)  # the product has at least bits(a) + bits(b) - 1 bits
    return a * b


def power(a: Any, b: Any) -> Any:
    # |a| >= 2 gives at least (bits(a) - 1) * b result bits: refused before computing, since
    # computing is what takes the time (`((2^10000)^10000)^12` held a core for 14 s).
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1 and (a.bit_length() - 1) * b > MAX_INT_BITS:
        raise LimitExceeded(_NUMBER)
    return a**b
