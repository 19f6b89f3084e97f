"""Function calls in JEXL (`name(args...)`): registered by the layer that owns the data, unknown names refused
when compiled, failures reported as expression errors."""

from __future__ import annotations

import pytest

from server.expressions import ExpressionError, compile_expression, register_function
from server.expressions.functions import FUNCTIONS


@pytest.fixture
def functions() -> object:
    saved = dict(FUNCTIONS)
    register_function("double", lambda v, times=2: v * times)
    register_function("nothing", lambda: None)
    register_function("boom", lambda: 1 / 0)
    yield
    FUNCTIONS.clear()
    FUNCTIONS.update(saved)


def test_calls_nest_and_mix_with_members_transforms_and_operators(functions: object) -> None:
    assert compile_expression("double(a)").evaluate({"a": 3}) == 6
    assert compile_expression("${double( a , 3 ) + double(double(1))}").evaluate({"a": 1}) == 7
    assert compile_expression("nothing().x == null").evaluate({}) is True  # member access stays null-safe
    assert compile_expression("double('ab')|upper").evaluate({}) == "ABAB"
    assert compile_expression("double(a) > 4 && (b)").evaluate({"a": 3, "b": True}) is True
    assert compile_expression("double(a)").names == frozenset({"a"})


def test_parentheses_after_a_variable_still_group(functions: object) -> None:
    assert compile_expression("a + (b)").evaluate({"a": 1, "b": 2}) == 3
    assert compile_expression("(a)").evaluate({"a": 5}) == 5


def test_an_unknown_function_is_refused_when_compiled() -> None:
    with pytest.raises(ExpressionError, match="Unknown function 'nope'"):
        compile_expression("nope(1)")


def test_a_failing_function_is_an_expression_error_naming_it(functions: object) -> None:
    with pytest.raises(ExpressionError, match="function 'boom' failed: division by zero"):
        compile_expression("boom()").evaluate({})


def test_invalid_registrations_are_refused() -> None:
    with pytest.raises(ValueError):
        register_function("not a name", lambda: 1)
    with pytest.raises(TypeError):
        register_function("ok", 42)  # type: ignore[arg-type]
