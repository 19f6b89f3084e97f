"""The engine layer on its own (no database): parsing every decision of a file and the DRD order."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.engine.decisions import DecisionEngine, DecisionError, evaluation_order
from server.engine.parser import BomsParser
from server.engine.xml import parse_xml

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dmn"


def engine(file_name: str, key: str) -> DecisionEngine:
    parser = BomsParser()
    path = FIXTURES / file_name
    parser.add_dmn_xml(parse_xml(path.read_bytes(), file_name), file_name)
    return parser.get_engine(key, None)


def test_every_decision_of_a_file_is_registered() -> None:
    parser = BomsParser()
    parser.add_dmn_xml(parse_xml((FIXTURES / "loan.dmn").read_bytes(), "loan.dmn"), "loan.dmn")
    assert set(parser.dmn_parsers) == {"loan_offer", "applicant_risk", "max_amount"}
    assert set(parser.dmn_parsers_by_name) == {"Loan offer", "Applicant risk", "Maximum amount"}


def test_required_decisions_come_first() -> None:
    loan = engine("loan.dmn", "loan_offer")
    assert evaluation_order(loan.decisions, "loan_offer") == ["applicant_risk", "max_amount", "loan_offer"]
    assert evaluation_order(loan.decisions, "max_amount") == ["max_amount"]
    assert loan.decision_table.hit_policy == "UNIQUE"


def test_a_cycle_is_refused_at_run_time_too() -> None:
    cyclic = engine("bad/cycle.dmn", "second")
    with pytest.raises(DecisionError, match="second -> third -> first -> second"):
        cyclic.evaluate({"amount": 1})


def test_outputs_of_required_decisions_override_variables() -> None:
    # A caller's own `risk` or `max_amount` must not change what the required decisions decided.
    result = engine("loan.dmn", "loan_offer").evaluate(
        {"age": 30, "income": 50000, "amount": 1000, "risk": "high", "max_amount": 0})
    assert result.outputs == {"offer": "approve", "rate": 3.5}
    assert [r.decision for r in result.required] == ["applicant_risk", "max_amount"]


def test_priority_allowed_values_are_read_in_order() -> None:
    table = engine("hit_policies.dmn", "priority_policy").decision_table
    assert table.outputs[0].allowed_values == ("high", "medium", "low")
    assert engine("hit_policies.dmn", "collect_max").decision_table.aggregation == "MAX"


def test_xml_comments_anywhere_are_ignored() -> None:
    # loan.dmn with a comment before every rule, input, table and text, and inside entries
    result = engine("commented.dmn", "loan_offer").evaluate({"age": 30, "income": 20000, "amount": 5000})
    assert result.outputs == {"offer": "review", "rate": 5.25}
    assert [m["rule"] for m in result.matched] == ["Rule_review"]
