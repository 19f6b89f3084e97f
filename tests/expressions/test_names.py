"""The names an expression reads, so a rule or formula naming an unknown field is refused at save."""

from __future__ import annotations

import pytest

from server.expressions import ExpressionError, UnknownNameError, compile_expression


def test_check_names_names_the_first_unknown_in_source_order() -> None:
    expression = compile_expression("amount > limit && region in ['eu'] || vip")
    assert expression.names == frozenset({"amount", "limit", "region", "vip"})
    expression.check_names({"amount", "limit", "region", "vip", "other"})
    with pytest.raises(UnknownNameError) as info:
        expression.check_names({"amount", "vip"}, what="field")
    assert info.value.name == "limit"
    assert str(info.value) == "Unknown field 'limit' in expression 'amount > limit && region in ['eu'] || vip'"
    assert isinstance(info.value, ExpressionError) and info.value.expression == expression.source


def test_member_access_reads_the_root_name_only() -> None:
    expression = compile_expression("customer.address.city == 'Berlin' && items[.qty > min]|length > 0")
    assert expression.names == frozenset({"customer", "items", "min"})
    with pytest.raises(UnknownNameError) as info:
        expression.check_names(["customer", "items"])
    assert info.value.name == "min"


def test_evaluating_with_a_missing_variable_is_an_unknown_name_error() -> None:
    with pytest.raises(UnknownNameError) as info:
        compile_expression("a + b").evaluate({"a": 1})
    assert info.value.name == "b" and "Unknown variable 'b'" in str(info.value)


def test_literals_and_null_are_not_names() -> None:
    assert compile_expression("x == null || true && 'a' == \"b\"").names == frozenset({"x"})
