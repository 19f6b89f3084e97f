"""DMN decision tables evaluated by BOMS: JEXL input expressions, FEEL unary tests, hit policies.

SpiffWorkflow parses the tables; its own evaluator treats entries as Python, which is both unsafe
and wrong for FEEL (`[1000..5000]`, lists, `not(...)`), so evaluation is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.engine.expressions import ExpressionError, compile_expression
from server.engine.feel import FeelError, compile_unary_tests, parse_literal

SINGLE_HIT = {"UNIQUE", "FIRST", "ANY", "PRIORITY"}


class DecisionError(Exception):
    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass
class DecisionResult:
    outputs: dict[str, Any]
    matched: list[dict[str, Any]] = field(default_factory=list)


def _output_name(output: Any) -> str:
    return output.name or output.label or output.id


def _output_value(text: str | None, context: Mapping[str, Any]) -> Any:
    if text is None or not text.strip():
        return None
    is_literal, value = parse_literal(text)
    if is_literal:
        return value
    return compile_expression(text).evaluate(context)


def _rule_matches(rule: Any, inputs: list[Any]) -> bool:
    for entry, value in zip(rule.inputEntries, inputs, strict=False):
        for text in entry.lhs:
            if not compile_unary_tests(text).matches(value):
                return False
    return True


def evaluate_table(table: Any, context: Mapping[str, Any]) -> DecisionResult:
    """Evaluate a parsed decision table against `context` (the process variables)."""
    try:
        inputs = [compile_expression(i.expression or i.label).evaluate(context) for i in table.inputs]
    except ExpressionError as exc:
        raise DecisionError(f"decision table '{table.id}': input {exc}") from exc
    matched = [rule for rule in table.rules if _rule_matches(rule, inputs)]
    policy = (table.hit_policy or "UNIQUE").upper()
    if policy == "UNIQUE" and len(matched) > 1:
        rows = ", ".join(str(r.row_number) for r in matched)
        raise DecisionError(f"decision table '{table.id}' has hit policy UNIQUE but rules {rows} all match")
    rows = []
    for rule in matched:
        try:
            out = {_output_name(e.output): _output_value(e.text, context) for e in rule.outputEntries}
        except (ExpressionError, FeelError) as exc:
            raise DecisionError(f"rule {rule.row_number} output: {exc}", rule=rule.id) from exc
        rows.append({"rule": rule.id, "row": rule.row_number, "outputs": out})
    if policy in SINGLE_HIT:
        rows = rows[:1]
        outputs = dict(rows[0]["outputs"]) if rows else {}
    else:
        # Multi-hit policies (COLLECT, RULE ORDER, OUTPUT ORDER): a list of values per output.
        outputs = {_output_name(o): [r["outputs"].get(_output_name(o)) for r in rows] for o in table.outputs}
    return DecisionResult(outputs=outputs, matched=rows)


def check_table(table: Any) -> list[tuple[str, str]]:
    """Everything in a table that cannot be read, as (element id, message) pairs, for deploy time."""
    problems: list[tuple[str, str]] = []
    for item in table.inputs:
        try:
            compile_expression(item.expression or item.label)
        except ExpressionError as exc:
            problems.append((item.id, f"input expression: {exc}"))
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                try:
                    compile_unary_tests(text)
                except FeelError as exc:
                    problems.append((entry.id, f"rule {rule.row_number}: {exc}"))
        for entry in rule.outputEntries:
            if entry.text and entry.text.strip() and not parse_literal(entry.text)[0]:
                try:
                    compile_expression(entry.text)
                except ExpressionError as exc:
                    problems.append((entry.id, f"rule {rule.row_number} output: {exc}"))
    return problems

