"""Several decisions in one file, required decisions (DRD) and business rule tasks run by the engine.

tests/fixtures/dmn/loan.dmn: `loan_offer` (a table) requires `applicant_risk` (a table, reached by its
output name `risk`) and `max_amount` (a literal expression, reached by its variable name).
tests/fixtures/dmn/loan_application.bpmn runs `loan_offer` and then `collect_policy` from another file.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.models import DecisionVersion, ProcessVersion


@pytest.fixture
def lenders(api: Any) -> Any:
    api.user("sam", groups=("sales",))
    api.user("una", groups=("underwriters",))
    return api


def evaluate(api: Any, key: str, variables: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = api.post("sam", f"/api/v1/decisions/{key}/evaluate", json={"variables": variables})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_one_version_row_per_decision_of_a_file(lenders: Any) -> None:
    body = lenders.deploy("modeler", "dmn/loan.dmn").get_json()
    assert {(d["key"], d["version"]) for d in body["decisions"]} == {
        ("loan_offer", 1), ("applicant_risk", 1), ("max_amount", 1)}
    with lenders.app.extensions["boms_db"].read() as session:
        rows = session.scalars(select(DecisionVersion).order_by(DecisionVersion.key)).all()
        assert [(r.key, r.name, r.file_name) for r in rows] == [
            ("applicant_risk", "Applicant risk", "loan.dmn"), ("loan_offer", "Loan offer", "loan.dmn"),
            ("max_amount", "Maximum amount", "loan.dmn")]
    again = lenders.deploy("modeler", "dmn/loan.dmn", expect=200).get_json()
    assert again["changed"] is False


@pytest.mark.parametrize(
    ("variables", "offer", "rate", "risk", "limit"),
    [
        ({"age": 30, "income": 50000, "amount": 1000}, "approve", 3.5, "low", 25000),
        ({"age": 30, "income": 20000, "amount": 5000}, "review", 5.25, "medium", 10000),
        ({"age": 30, "income": 20000, "amount": 10001}, "decline", None, "medium", 10000),
        ({"age": 19, "income": 90000, "amount": 10}, "decline", None, "high", 45000),
    ],
)
def test_required_decisions_are_evaluated_first(lenders: Any, variables: dict[str, Any], offer: str,
                                                rate: float | None, risk: str, limit: float) -> None:
    lenders.deploy("modeler", "dmn/loan.dmn")
    body = evaluate(lenders, "loan_offer", variables)
    assert body["result"] == {"offer": offer, "rate": rate}
    required = {r["decision"]: r for r in body["requiredDecisions"]}
    assert list(required) == ["applicant_risk", "max_amount"]
    assert required["applicant_risk"]["result"] == {"risk": risk}
    assert required["applicant_risk"]["hitPolicy"] == "FIRST" and required["applicant_risk"]["matchedRules"]
    assert required["max_amount"] == {"decision": "max_amount", "name": "Maximum amount", "hitPolicy": None,
                                      "result": {"max_amount": limit}, "matchedRules": []}


def test_a_required_decision_can_be_evaluated_on_its_own(lenders: Any) -> None:
    lenders.deploy("modeler", "dmn/loan.dmn")
    body = evaluate(lenders, "applicant_risk", {"age": 40, "income": 10})
    assert body["result"] == {"risk": "medium"} and body["requiredDecisions"] == []
    assert [m["rule"] for m in body["matchedRules"]] == ["Rule_modest"]
    assert evaluate(lenders, "max_amount", {"income": 100})["result"] == {"max_amount": 50}


def test_missing_input_of_a_required_decision_names_it(lenders: Any) -> None:
    lenders.deploy("modeler", "dmn/loan.dmn")
    error = evaluate(lenders, "loan_offer", {"age": 30, "amount": 1}, status=422)["error"]
    assert error["decision"] == "applicant_risk" and "'income'" in error["message"]


def instance(api: Any, instance_id: str) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_business_rule_tasks_run_a_drd_and_a_multi_hit_table(lenders: Any) -> None:
    body = lenders.deploy("modeler", "dmn/loan.dmn", "dmn/hit_policies.dmn", "dmn/loan_application.bpmn").get_json()
    assert [(p["key"], p["version"]) for p in body["processes"]] == [("loan_application", 1)]
    with lenders.app.extensions["boms_db"].read() as session:
        version = session.scalars(select(ProcessVersion)).one()
        pinned = session.scalars(select(DecisionVersion.key).where(DecisionVersion.id.in_(version.decision_ids)))
        assert set(pinned) == {"loan_offer", "collect_policy"}

    approved = lenders.start("sam", "loan_application", {"age": 30, "income": 50000, "amount": 1000, "score": 60})
    done = instance(lenders, approved["id"])
    assert done["status"] == "completed"
    assert done["variables"]["offer"] == "approve" and done["variables"]["rate"] == 3.5
    assert done["variables"]["perk"] == ["newsletter", "coupon"]
    assert "risk" not in done["variables"]  # only the referenced decision's outputs become variables
    assert "end_approved" in done["visitedElements"]

    history = lenders.get("auditor", f"/api/v1/process-instances/{approved['id']}/history").get_json()["items"]
    events = {e["elementId"]: e["data"] for e in history if e["kind"] == "decision.evaluated"}
    assert events["decide_offer"]["decision"] == "loan_offer"
    assert events["decide_offer"]["matched"] == ["Rule_approve"]
    assert events["decide_offer"]["required"] == {"applicant_risk": {"risk": "low"},
                                                  "max_amount": {"max_amount": 25000}}
    assert events["collect_perks"]["outputs"] == {"perk": ["newsletter", "coupon"]}

    review = lenders.start("sam", "loan_application", {"age": 30, "income": 20000, "amount": 5000, "score": 1})
    [task] = instance(lenders, review["id"])["openTasks"]
    assert task["elementId"] == "underwriter_review"
    declined = lenders.start("sam", "loan_application", {"age": 18, "income": 1, "amount": 1, "score": 99})
    assert "end_declined" in instance(lenders, declined["id"])["visitedElements"]
