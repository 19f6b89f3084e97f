"""Every hit policy, through POST /decisions/{key}/evaluate on tests/fixtures/dmn/hit_policies.dmn.

The file holds one decision per policy (all on one `score` input), so it also shows that every
decision of a file is deployed and can be evaluated on its own.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def scored(api: Any) -> Any:
    api.user("sam", groups=("sales",))
    body = api.deploy("modeler", "dmn/hit_policies.dmn").get_json()
    assert [d["key"] for d in body["decisions"]] == [
        "unique_policy", "first_policy", "priority_policy", "any_policy", "rule_order_policy",
        "output_order_policy", "collect_policy", "collect_sum", "collect_min", "collect_max", "collect_count"]
    return api


def evaluate(api: Any, key: str, score: Any, status: int = 200) -> dict[str, Any]:
    response = api.post("sam", f"/api/v1/decisions/{key}/evaluate", json={"variables": {"score": score}})
    assert response.status_code == status, response.get_json()
    return response.get_json()


# (decision, score, result, indexes of the rules in the result)
CASES = [
    ("unique_policy", 95, {"band": "top"}, [3]),
    ("unique_policy", 10, {"band": "low"}, [1]),
    ("unique_policy", None, {"band": None}, []),  # no match: every output is null
    ("first_policy", 95, {"grade": "A"}, [1]),  # rules 1, 2 and 3 match; the first wins
    ("first_policy", 77, {"grade": "B"}, [2]),
    ("first_policy", -1, {"grade": "C"}, [3]),
    ("priority_policy", 95, {"level": "high"}, [3]),  # "high" comes first in the allowed values
    ("priority_policy", 60, {"level": "medium"}, [2]),
    ("priority_policy", -1, {"level": None}, []),
    ("any_policy", 95, {"verdict": "pass"}, [1]),  # rules 1 and 2 agree
    ("any_policy", 20, {"verdict": "fail"}, [3]),
    ("rule_order_policy", 60, {"code": ["T10", "T50", "T0"], "label": ["ten", "fifty", "zero"]}, [1, 2, 3]),
    ("rule_order_policy", 5, {"code": ["T0"], "label": ["zero"]}, [3]),
    ("rule_order_policy", -1, {"code": [], "label": []}, []),
    ("output_order_policy", 95, {"medal": ["gold", "silver", "bronze"]}, [3, 2, 1]),
    ("output_order_policy", 60, {"medal": ["silver", "bronze"]}, [2, 1]),
    ("output_order_policy", -1, {"medal": []}, []),
    ("collect_policy", 95, {"perk": ["newsletter", "coupon", "gift"]}, [1, 2, 3]),
    ("collect_policy", -1, {"perk": []}, []),
    ("collect_sum", 95, {"points": 111}, [1, 2, 3]),
    ("collect_sum", 60, {"points": 11}, [1, 2]),
    ("collect_sum", -1, {"points": None}, []),
    ("collect_min", 95, {"points": 1}, [1, 2, 3]),
    ("collect_min", -1, {"points": None}, []),
    ("collect_max", 95, {"points": 100}, [1, 2, 3]),
    ("collect_max", 60, {"points": 10}, [1, 2]),
    ("collect_count", 95, {"points": 3}, [1, 2, 3]),
    ("collect_count", 60, {"points": 2}, [1, 2]),
    ("collect_count", -1, {"points": 0}, []),
]


def test_every_hit_policy(scored: Any) -> None:
    for key, score, result, indexes in CASES:
        body = evaluate(scored, key, score)
        assert body["result"] == result, (key, score, body)
        assert [m["index"] for m in body["matchedRules"]] == indexes, (key, score, body)
        assert [m["rule"] for m in body["matchedRules"]] == [f"Rule_{key}_{i}" for i in indexes]
        assert body["decision"] == key and body["version"] == 1 and body["requiredDecisions"] == []


def test_hit_policy_and_aggregation_are_reported(scored: Any) -> None:
    assert evaluate(scored, "unique_policy", 1)["hitPolicy"] == "UNIQUE"
    assert evaluate(scored, "rule_order_policy", 1)["hitPolicy"] == "RULE ORDER"
    assert evaluate(scored, "collect_sum", 1)["hitPolicy"] == "COLLECT SUM"
    body = evaluate(scored, "collect_count", 1)
    assert body["hitPolicy"] == "COLLECT COUNT" and body["name"] == "Points count"


def test_matched_rules_carry_description_and_outputs(scored: Any) -> None:
    rules = evaluate(scored, "collect_sum", 95)["matchedRules"]
    assert rules[0] == {"rule": "Rule_collect_sum_1", "index": 1, "annotations": [],
                        "description": "Every non-negative score earns a point", "outputs": {"points": 1}}
    assert rules[1]["description"] is None and rules[2]["outputs"] == {"points": 100}


def test_unique_with_several_matches_names_the_rules(scored: Any) -> None:
    error = evaluate(scored, "unique_policy", 77, status=422)["error"]
    assert error["code"] == "engine_error" and error["decision"] == "unique_policy"
    assert "UNIQUE" in error["message"]
    assert "Rule_unique_policy_2" in error["message"] and "Rule_unique_policy_3" in error["message"]
    assert error["rules"] == ["Rule_unique_policy_2", "Rule_unique_policy_3"]


def test_any_with_disagreeing_rules_is_an_error(scored: Any) -> None:
    error = evaluate(scored, "any_policy", 13, status=422)["error"]
    assert "ANY" in error["message"] and error["rules"] == ["Rule_any_policy_3", "Rule_any_policy_4"]


def test_missing_input_names_the_decision_and_input(scored: Any) -> None:
    response = scored.post("sam", "/api/v1/decisions/collect_sum/evaluate", json={"variables": {}})
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert "collect_sum" in message and "'Score'" in message and "score" in message


def test_wrong_types_do_not_match_instead_of_failing(scored: Any) -> None:
    # FEEL: comparing a string with a number is null, so no rule matches.
    assert evaluate(scored, "collect_count", "95")["result"] == {"points": 0}
    assert evaluate(scored, "first_policy", "95")["result"] == {"grade": "C"}
