"""Camunda's camunda:resultVariable with camunda:mapDecisionResult (tests/fixtures/dmn/result_variables.bpmn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.engine.decisions import DecisionError, map_result
from server.engine.parser import BomsParser
from server.engine.xml import parse_xml

HIT_POLICIES = Path(__file__).parent.parent / "fixtures" / "dmn" / "hit_policies.dmn"


def test_result_variables_in_a_process(api: Any) -> None:
    api.user("sam", groups=("sales",))
    api.deploy("modeler", "dmn/hit_policies.dmn", "dmn/result_variables.bpmn")
    done = api.start("sam", "result_variables", {"score": 95})
    assert done["status"] == "completed", done
    variables = done["variables"]
    assert variables["grade_entry"] == "A"
    assert variables["grade_result"] == {"grade": "A"}
    assert variables["perks"] == ["newsletter", "coupon", "gift"]
    assert variables["codes"] == [{"code": "T10", "label": "ten"}, {"code": "T50", "label": "fifty"},
                                  {"code": "T0", "label": "zero"}]  # resultList is Camunda's default
    assert variables["points"] == 111
    assert "grade" not in variables and "perk" not in variables  # nothing else is set


def test_unknown_result_mapping_is_refused(api: Any) -> None:
    response = api.deploy("modeler", "dmn/hit_policies.dmn", "dmn/bad/unknown_result_mapping.bpmn", expect=422)
    error = response.get_json()["error"]
    assert error["element"] == "task_grade_result" and error["line"] == 11
    assert "firstRow" in error["message"] and "singleResult" in error["message"]


def evaluate(key: str, score: Any) -> Any:
    parser = BomsParser()
    parser.add_dmn_xml(parse_xml(HIT_POLICIES.read_bytes(), HIT_POLICIES.name), HIT_POLICIES.name)
    return parser.get_engine(key, None).evaluate({"score": score})


def test_single_mappings_refuse_several_results() -> None:
    several = evaluate("collect_policy", 95)
    with pytest.raises(DecisionError, match="singleEntry needs at most one result"):
        map_result(several, "singleEntry")
    with pytest.raises(DecisionError, match="singleResult needs at most one result"):
        map_result(several, "singleResult")
    with pytest.raises(DecisionError, match="one output per result"):
        map_result(evaluate("rule_order_policy", 95), "collectEntries")


def test_no_match() -> None:
    assert map_result(evaluate("priority_policy", -1), "singleEntry") is None
    assert map_result(evaluate("priority_policy", -1), "singleResult") is None
    assert map_result(evaluate("collect_policy", -1), "collectEntries") == []
    assert map_result(evaluate("collect_policy", -1), "resultList") == []
    assert map_result(evaluate("collect_count", -1), "singleEntry") == 0
