"""The expression languages BOMS evaluates, shared by the workflow binding, records, rules and analytics.

One API: ``compile_expression(text)`` parses a JEXL expression once into an ``Expression`` with
``.names`` (the root names it reads, so a rule or formula naming an unknown field is refused at
save: ``.check_names(known)``) and ``.evaluate(context)``, bounded by ``limits``.
``compile_filter(text, columns)`` turns the filter subset of JEXL into a SQLAlchemy WHERE clause
that selects exactly the rows the Python evaluation accepts (``filter_matches``). FEEL unary tests
(DMN input entries) are ``compile_unary_tests``. Nothing here imports SpiffWorkflow or server.engine.
"""

from server.expressions.errors import ExpressionError, ExpressionLimitError, FilterError, UnknownNameError
from server.expressions.feel import FeelError, UnaryTests, compile_unary_tests, parse_literal, parse_literal_list
from server.expressions.functions import register_function
from server.expressions.jexl import Expression, compile_expression, evaluate, is_expression
from server.expressions.lists import ListColumn
from server.expressions.sql import compile_filter, filter_matches
from server.expressions.transforms import register_transform

__all__ = [
    "Expression", "ExpressionError", "ExpressionLimitError", "FeelError", "FilterError", "ListColumn", "UnaryTests",
    "UnknownNameError", "compile_expression", "compile_filter", "compile_unary_tests", "evaluate",
    "filter_matches", "is_expression", "parse_literal", "parse_literal_list", "register_function",
    "register_transform",
]
