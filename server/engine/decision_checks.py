"""Deploy-time checks of parsed DMN decisions: everything evaluation would trip over, found before storing.

Each problem is (element id, message); the caller adds the file name and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.engine.decisions import AGGREGATIONS, HIT_POLICIES, DecisionError, evaluation_order, output_name
from server.expressions import ExpressionError, FeelError, compile_expression, compile_unary_tests, parse_literal

Problem = tuple[str, str]


def _check_policy(table: Any) -> list[Problem]:
    policy, aggregation = table.hit_policy, getattr(table, "aggregation", None)
    if policy not in HIT_POLICIES:
        return [(table.id, f"unknown hit policy '{policy}' (one of {', '.join(HIT_POLICIES)})")]
    if aggregation is None:
        pass
    elif aggregation not in AGGREGATIONS:
        return [(table.id, f"unknown aggregation '{aggregation}' (one of {', '.join(AGGREGATIONS)})")]
    elif policy != "COLLECT":
        return [(table.id, f"aggregation {aggregation} needs hit policy COLLECT, not {policy}")]
    elif len(table.outputs) != 1:
        return [(table.id, f"COLLECT {aggregation} needs exactly one output, the table has {len(table.outputs)}")]
    if policy in ("PRIORITY", "OUTPUT ORDER") and not any(getattr(o, "allowed_values", None) for o in table.outputs):
        return [(table.id, f"hit policy {policy} orders rules by the outputs' allowed values (outputValues), "
                           "and no output has any")]
    return []


def _check_entries(table: Any) -> list[Problem]:
    problems: list[Problem] = []
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                try:
                    compile_unary_tests(text)
                except FeelError as exc:
                    problems.append((entry.id or rule.id, f"rule {rule.row_number}: {exc}"))
        for entry in rule.outputEntries:
            if not entry.text or not entry.text.strip():
                continue
            is_literal, value = parse_literal(entry.text)
            allowed = getattr(entry.output, "allowed_values", None)
            if is_literal and allowed and value not in allowed:
                problems.append((entry.id or rule.id, f"rule {rule.row_number}: output '{output_name(entry.output)}'"
                                 f" is {entry.text.strip()}, which is not one of its allowed values"))
            elif not is_literal:
                try:
                    compile_expression(entry.text)
                except ExpressionError as exc:
                    problems.append((entry.id or rule.id, f"rule {rule.row_number} output: {exc}"))
    return problems


def check_table(table: Any) -> list[Problem]:
    """Everything in a table that cannot be evaluated, as (element id, message) pairs."""
    problems = _check_policy(table)
    for item in table.inputs:
        try:
            compile_expression(item.expression or item.label)
        except ExpressionError as exc:
            problems.append((item.id, f"input expression: {exc}"))
    if not table.outputs:
        problems.append((table.id, "a decision table needs at least one output"))
    return problems + _check_entries(table)


def check_decisions(decisions: Mapping[str, Any]) -> list[Problem]:
    """Every decision of one file: its table or literal expression, and its requirements (DRD)."""
    problems: list[Problem] = []
    for decision in decisions.values():
        for required, element, href in decision.required:
            if required not in decisions:
                elsewhere = "" if href.startswith("#") else f" (href '{href}'; only decisions of the same file count)"
                problems.append((element, f"decision '{decision.id}' requires decision '{required}', which is not "
                                          f"in this file{elsewhere}"))
        if decision.decisionTables:
            problems += [(e, f"decision '{decision.id}': {m}") for e, m in check_table(decision.decisionTables[0])]
        elif decision.literal_expression is not None:
            try:
                compile_expression(decision.literal_expression)
            except ExpressionError as exc:
                problems.append((decision.literal_id or decision.id, f"decision '{decision.id}': {exc}"))
        else:
            problems.append((decision.id, f"decision '{decision.id}' has neither a decision table nor a "
                                          "literal expression"))
    if problems:
        return problems
    for key in decisions:
        try:
            evaluation_order(decisions, key)
        except DecisionError as exc:
            return [(exc.decision or key, str(exc))]
    return []
