"""JUEL spellings of Camunda 7 models, rewritten to JEXL: keyword operators and `empty`."""

from __future__ import annotations

import pytest

from server.expressions import ExpressionError, compile_expression
from server.expressions.juel import translate_juel

CONTEXT = {"a": 6, "b": "x", "items": [], "m": {"k": ""}, "lt": 3, "empty": 0, "s": "eq lt", "name": "Ann",
           "nothing": None}


@pytest.mark.parametrize(("text", "expected"), [
    ('${a gt 5 and b eq "x"}', True),
    ("${a lt 5 or b ne 'x'}", False),
    ("${a le 6 && a ge 6}", True),
    ("${a mod 4 eq 2}", True),
    ("${a div 2}", 3.0),
    ("${empty items}", True),
    ("${not empty items}", False),
    ("${!empty m.k}", False),
    ("${empty m}", False),
    ("${empty nothing}", True),
    ("${empty (name)}", False),
    ("${a ge 6 ? 'big' : 'small'}", "big"),
    ("${lt + 1}", 4),  # a variable named like an operator stays a variable
    ("${empty + 1}", 1),
    ('${s == "eq lt"}', True),  # string literals are left as written
])
def test_juel_spellings(text: str, expected: object) -> None:
    assert compile_expression(text).evaluate(CONTEXT) == expected


def test_translation_leaves_strings_and_names_alone() -> None:
    assert translate_juel("x eq 'a eq b' and empty y.z") == "x == 'a eq b' and empty(y.z)"
    assert translate_juel("equals + ltx") == "equals + ltx"


def test_unknown_method_calls_are_refused_naming_the_method() -> None:
    with pytest.raises(ExpressionError, match="'.frobnicate\\(' is not supported"):
        compile_expression("${name.frobnicate('A')}")
    assert translate_juel("x.size() > 0 and 'a.b(c)' == y") == "x|size > 0 and 'a.b(c)' == y"
