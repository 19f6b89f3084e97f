"""DMN decisions evaluated by BOMS: JEXL input expressions, FEEL unary tests, every hit policy, DRDs.

SpiffWorkflow parses the tables (server.engine.dmn_parser extends its parser); its own evaluator treats
entries as Python, which is both unsafe and wrong for FEEL (`[1000..5000]`, lists, `not(...)`), so
evaluation is ours.  Deploy-time checks of the same objects are in server.engine.decision_checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.expressions import ExpressionError, FeelError, compile_expression, compile_unary_tests, parse_literal

SINGLE_HIT = ("UNIQUE", "FIRST", "PRIORITY", "ANY")
MULTI_HIT = ("RULE ORDER", "OUTPUT ORDER", "COLLECT")
HIT_POLICIES = SINGLE_HIT + MULTI_HIT
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


class DecisionError(Exception):
    def __init__(self, message: str, decision: str | None = None, rules: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.decision = decision
        self.rules = rules

    @property
    def rule(self) -> str | None:
        return self.rules[0] if self.rules else None


@dataclass
class DecisionResult:
    decision: str
    name: str | None
    hit_policy: str | None  # None for a literal-expression decision
    # Per output name: the value (single hit), a list (multi hit) or the aggregate (COLLECT SUM...).
    outputs: dict[str, Any]
    # The DMN result value, as a decision requiring this one sees it under this decision's id and name.
    value: Any = None
    matched: list[dict[str, Any]] = field(default_factory=list)
    required: list[DecisionResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "name": self.name, "hitPolicy": self.hit_policy,
                "result": self.outputs, "matchedRules": self.matched}


def output_name(output: Any) -> str:
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


def _describe(hits: list[dict[str, Any]]) -> str:
    return ", ".join(f"{h['index']} ({h['rule']})" for h in hits)


def _priority(table: Any, outputs: Mapping[str, Any]) -> tuple[int, ...]:
    """Position of each output value in its allowed values; a value outside the list ranks last."""
    key = []
    for output in table.outputs:
        allowed = getattr(output, "allowed_values", None)
        if allowed:
            value = outputs.get(output_name(output))
            key.append(allowed.index(value) if value in allowed else len(allowed))
    return tuple(key)


def _aggregate(how: str, values: list[Any], who: str) -> Any:
    present = [v for v in values if v is not None]  # as Camunda: null outputs take no part
    if how == "COUNT":
        return len(present)
    if not present:
        return None
    if how == "SUM":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
            raise DecisionError(f"decision '{who}': COLLECT SUM needs numbers, got {present!r}", decision=who)
        return sum(present)
    try:
        return min(present) if how == "MIN" else max(present)
    except TypeError:
        raise DecisionError(f"decision '{who}': COLLECT {how} cannot order {present!r}", decision=who) from None


def _matched_rules(table: Any, context: Mapping[str, Any], who: str) -> list[dict[str, Any]]:
    inputs = []
    for item in table.inputs:
        try:
            inputs.append(compile_expression(item.expression or item.label).evaluate(context))
        except ExpressionError as exc:
            label = item.label or item.name or item.id
            raise DecisionError(f"decision '{who}': input '{label}': {exc}", decision=who) from exc
    hits = []
    for rule in table.rules:
        if not _rule_matches(rule, inputs):
            continue
        try:
            out = {output_name(e.output): _output_value(e.text, context) for e in rule.outputEntries}
        except (ExpressionError, FeelError) as exc:
            raise DecisionError(f"decision '{who}': rule {rule.row_number} ({rule.id}) output: {exc}",
                                decision=who, rules=(rule.id,)) from exc
        hits.append({"rule": rule.id, "index": rule.row_number, "description": rule.description or None,
                     "annotations": list(getattr(rule, "annotations", [])), "outputs": out})
    return hits


def evaluate_table(table: Any, context: Mapping[str, Any], decision: Any = None) -> DecisionResult:
    """Evaluate a parsed decision table against `context` (the process variables)."""
    who = decision.id if decision is not None else table.id
    name = (decision.name or None) if decision is not None else None
    policy = (table.hit_policy or "UNIQUE").upper()
    hits = _matched_rules(table, context, who)
    names = [output_name(o) for o in table.outputs]
    if policy == "UNIQUE" and len(hits) > 1:
        raise DecisionError(f"decision '{who}' has hit policy UNIQUE but rules {_describe(hits)} all match",
                            decision=who, rules=tuple(h["rule"] for h in hits))
    if policy == "ANY" and any(h["outputs"] != hits[0]["outputs"] for h in hits):
        raise DecisionError(f"decision '{who}' has hit policy ANY but rules {_describe(hits)} match with "
                            "different outputs", decision=who, rules=tuple(h["rule"] for h in hits))
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        hits.sort(key=lambda h: _priority(table, h["outputs"]))  # stable: rule order breaks ties
    if policy in SINGLE_HIT:
        hits = hits[:1]
        outputs = dict(hits[0]["outputs"]) if hits else dict.fromkeys(names)
        value = (outputs[names[0]] if len(names) == 1 else dict(outputs)) if hits else None
        return DecisionResult(who, name, policy, outputs, value, hits)
    aggregation = getattr(table, "aggregation", None)
    if aggregation:
        total = _aggregate(aggregation, [h["outputs"].get(names[0]) for h in hits], who)
        return DecisionResult(who, name, f"{policy} {aggregation}", {names[0]: total}, total, hits)
    outputs = {n: [h["outputs"].get(n) for h in hits] for n in names}
    value = outputs[names[0]] if len(names) == 1 else [dict(h["outputs"]) for h in hits]
    return DecisionResult(who, name, policy, outputs, value, hits)


def _evaluate_literal(decision: Any, context: Mapping[str, Any]) -> DecisionResult:
    try:
        value = compile_expression(decision.literal_expression or "").evaluate(context)
    except ExpressionError as exc:
        raise DecisionError(f"decision '{decision.id}': {exc}", decision=decision.id) from exc
    return DecisionResult(decision.id, decision.name or None, None, {decision.variable: value}, value)


def evaluation_order(decisions: Mapping[str, Any], key: str) -> list[str]:
    """`key` and every decision it requires, each after the decisions it requires."""
    order: list[str] = []
    path: list[str] = []

    def visit(current: str) -> None:
        if current in order:
            return
        if current in path:
            cycle = " -> ".join([*path[path.index(current):], current])
            raise DecisionError(f"required decisions form a cycle: {cycle}", decision=current)
        if current not in decisions:
            raise DecisionError(f"decision '{path[-1]}' requires decision '{current}', which does not exist",
                                decision=path[-1] if path else current)
        path.append(current)
        for required, _, _ in getattr(decisions[current], "required", []):
            visit(required)
        path.pop()
        order.append(current)

    visit(key)
    return order


def evaluate_decision(decisions: Mapping[str, Any], key: str, context: Mapping[str, Any]) -> DecisionResult:
    """Evaluate decision `key` after the decisions it requires (DRD).

    A required decision's result is visible to the decisions that require it under its id and its
    variable name (DMN), and its outputs also by output name (as Camunda does), over the variables.
    """
    results: dict[str, DecisionResult] = {}
    order = evaluation_order(decisions, key)
    for current in order:
        decision = decisions[current]
        scope = dict(context)
        for required, _, _ in getattr(decision, "required", []):
            done = results[required]
            scope.update(done.outputs)
            scope[decisions[required].variable] = done.value
            scope[required] = done.value
        if decision.decisionTables:
            results[current] = evaluate_table(decision.decisionTables[0], scope, decision)
        else:
            results[current] = _evaluate_literal(decision, scope)
    result = results[key]
    result.required = [results[d] for d in order[:-1]]
    return result


class DecisionEngine:
    """What a business rule task holds: the decisions of one DMN file and the one it evaluates."""

    def __init__(self, decisions: Mapping[str, Any], key: str) -> None:
        self.decisions = decisions
        self.key = key

    @property
    def decision_table(self) -> Any:
        tables = self.decisions[self.key].decisionTables
        return tables[0] if tables else None

    def evaluate(self, context: Mapping[str, Any]) -> DecisionResult:
        return evaluate_decision(self.decisions, self.key, context)


RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")


def map_result(result: DecisionResult, mapping: str) -> Any:
    """A result shaped as Camunda's `camunda:mapDecisionResult` shapes it for `camunda:resultVariable`."""
    aggregated = result.hit_policy is None or result.hit_policy.startswith("COLLECT ")
    rows = [result.outputs] if aggregated else [m["outputs"] for m in result.matched]
    if mapping == "resultList":
        return rows
    if mapping in ("singleEntry", "collectEntries") and any(len(row) > 1 for row in rows):
        raise DecisionError(f"decision '{result.decision}': {mapping} needs one output per result, the result "
                            f"has {', '.join(rows[0])}", decision=result.decision)
    if mapping == "collectEntries":
        return [next(iter(row.values())) for row in rows]
    if len(rows) > 1:
        raise DecisionError(f"decision '{result.decision}': {mapping} needs at most one result, rules "
                            f"{_describe(result.matched)} matched", decision=result.decision,
                            rules=tuple(m["rule"] for m in result.matched))
    if not rows:
        return None
    return next(iter(rows[0].values())) if mapping == "singleEntry" else rows[0]
