"""Approval patterns on standard BPMN: reporting-line functions, level by level, countersign, or-sign,
ratio, and rules that find nobody (fallback group or incident) — deployed and driven through the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from server.models import User
from tests.conftest import Api
from tests.engine.flow import Flow


def _attributes(api: Api, name: str, department: str | None = None, limit: int | None = None) -> None:
    with api.app.extensions["boms_db"].write() as session:
        user = session.scalar(select(User).where(User.username == name))
        user.department = department
        user.approval_limit = Decimal(limit) if limit is not None else None


@pytest.fixture
def org(api: Api) -> Flow:
    """ceo <- director <- lead <- clerk (sales); fin (finance) reports to lead; orphan has no manager."""
    api.user("ceo")
    api.user("director", manager="ceo")
    api.user("lead", manager="director")
    api.user("clerk", manager="lead")
    api.user("fin", groups=("finance",), manager="lead")
    api.user("orphan")
    api.user("hr1", groups=("hr",))
    for name in ("b1", "b2", "b3", "b4", "b5"):
        api.user(name, groups=("board",))
    api.user("aud2", roles=("auditor",))
    _attributes(api, "ceo", limit=1_000_000)
    _attributes(api, "director", limit=50_000)
    _attributes(api, "lead", limit=5_000)
    _attributes(api, "clerk", department="sales")
    _attributes(api, "fin", department="finance")
    return Flow(api)


def _deploy(flow: Flow, *names: str) -> None:
    flow.api.deploy("modeler", *[f"approvals/{n}" for n in names])


def _start(flow: Flow, who: str, key: str, variables: dict[str, Any] | None = None) -> str:
    return flow.api.start(who, key, variables)["id"]


def _approve(flow: Flow, instance: str, element: str, who: str, variables: dict[str, Any]) -> None:
    [task] = [t for t in flow.open(instance).get(element, []) if t["assignee"] == who]
    flow.complete(task, variables, who=who)


def test_manager_functions_and_user_attributes_in_assignments_and_conditions(org: Flow) -> None:
    _deploy(org, "manager.bpmn")
    sales = _start(org, "clerk", "approval_manager")
    assert org.task(sales, "manager_review")["assignee"] == "lead"  # user(initiator).department != finance
    org.complete(org.task(sales, "manager_review"), who="lead")
    assert org.task(sales, "skip_review")["assignee"] == "director"  # manager(initiator, 2)
    finance = _start(org, "fin", "approval_manager")
    task = org.task(finance, "finance_review")
    assert task["assignee"] is None
    assert org.api.open_tasks("fin", instanceId=finance)  # groupMembers('finance') -> candidate users


def test_level_by_level_stops_at_the_first_manager_whose_limit_covers_the_amount(org: Flow) -> None:
    _deploy(org, "levels.bpmn")
    instance = _start(org, "clerk", "approval_levels", {"amount": 20_000})
    assert [t["assignee"] for t in org.open(instance)["approve"]] == ["lead"]  # one at a time
    _approve(org, instance, "approve", "lead", {"approved": True})  # 5,000 < 20,000: up one level
    _approve(org, instance, "approve", "director", {"approved": True})  # 50,000 covers it
    assert org.elements(instance) == ["proceed"]
    variables = org.instance(instance)["variables"]
    assert variables["nrOfApproved"] == 2 and variables["nrOfRejected"] == 0


def test_level_by_level_goes_up_n_levels_at_most_and_a_reject_ends_it(org: Flow) -> None:
    _deploy(org, "levels.bpmn")
    big = _start(org, "clerk", "approval_levels", {"amount": 5_000_000})
    for who in ("lead", "director", "ceo"):
        _approve(org, big, "approve", who, {"approved": True})
    assert org.elements(big) == ["proceed"]  # three levels, nobody's limit covered it: the chain ends
    rejected = _start(org, "clerk", "approval_levels", {"amount": 20_000})
    _approve(org, rejected, "approve", "lead", {"approved": False})
    assert org.elements(rejected) == ["revise"]  # the director is never asked


def test_countersign_all_and_any_reject_ends_it(org: Flow) -> None:
    _deploy(org, "countersign.bpmn")
    everyone = _start(org, "clerk", "approval_all")
    assert sorted(t["assignee"] for t in org.open(everyone)["approve"]) == ["b1", "b2", "b3", "b4", "b5"]
    for who in ("b1", "b2", "b3", "b4", "b5"):
        _approve(org, everyone, "approve", who, {"approved": True})
    assert org.elements(everyone) == ["proceed"]
    one_no = _start(org, "clerk", "approval_all")
    _approve(org, one_no, "approve", "b2", {"approved": True})
    _approve(org, one_no, "approve", "b4", {"approved": False})
    assert org.elements(one_no) == ["revise"]
    assert len(org.task_rows(one_no, "cancelled")) == 3  # the others' tasks are withdrawn


def test_or_sign_with_a_named_decision_variable(org: Flow) -> None:
    _deploy(org, "orsign.bpmn")
    instance = _start(org, "clerk", "approval_any")
    assert sorted(t["assignee"] for t in org.open(instance)["approve"]) == ["aud2", "auditor"]
    _approve(org, instance, "approve", "aud2", {"verdict": "approve"})
    assert org.elements(instance) == ["proceed"]


def test_ratio_sixty_per_cent(org: Flow) -> None:
    _deploy(org, "ratio.bpmn")
    passed = _start(org, "clerk", "approval_ratio")
    for who, answer in (("b1", True), ("b2", False), ("b3", True), ("b4", True)):
        _approve(org, passed, "approve", who, {"approved": answer})
    assert org.elements(passed) == ["proceed"]  # 3 of 5 = 60 %: b5 is not needed
    failed = _start(org, "clerk", "approval_ratio")
    for who, answer in (("b1", False), ("b2", True), ("b3", False), ("b4", False)):
        _approve(org, failed, "approve", who, {"approved": answer})
    assert org.elements(failed) == ["revise"]  # 3 of 5 rejected: 60 % can no longer be reached


def test_a_missing_manager_is_an_incident_naming_the_task_and_the_rule(org: Flow) -> None:
    _deploy(org, "manager.bpmn", "levels.bpmn")
    single = org.instance(_start(org, "orphan", "approval_manager"))
    assert single["status"] == "error" and single["openTasks"] == []
    assert single["error"]["element"] == "manager_review"
    assert "camunda:assignee=\"${manager(initiator)}\" found nobody" in single["error"]["message"]
    chain = org.instance(_start(org, "orphan", "approval_levels", {"amount": 1}))
    assert chain["status"] == "error" and chain["error"]["element"] == "approve"
    assert "'${managerChain(initiator, 3)}' found nobody" in chain["error"]["message"]


def test_a_missing_manager_goes_to_the_fallback_group(org: Flow) -> None:
    _deploy(org, "manager.bpmn", "levels_fallback.bpmn")
    instance = _start(org, "director", "approval_manager")
    org.complete(org.task(instance, "manager_review"), who="ceo")
    task = org.task(instance, "skip_review")  # manager(director, 2) does not exist: fallbackGroup hr
    assert task["assignee"] is None
    assert [t["id"] for t in org.api.open_tasks("hr1", instanceId=instance)] == [task["id"]]
    assert org.instance(instance)["status"] == "running"
    chain = _start(org, "orphan", "approval_levels_fallback", {"amount": 1})
    [task] = org.open(chain)["approve"]
    assert task["assignee"] is None
    assert org.api.open_tasks("hr1", instanceId=chain)  # hr sees it
    org.complete(task, {"approved": True}, who="hr1")
    assert org.elements(chain) == ["proceed"]


def test_an_unknown_function_is_refused_at_deploy_naming_element_and_line(org: Flow, tmp_path: Any) -> None:
    from tests.conftest import FIXTURES

    text = (FIXTURES / "approvals" / "manager.bpmn").read_text().replace("manager(initiator)", "boss(initiator)")
    bad = tmp_path / "bad_function.bpmn"
    bad.write_text(text)
    error = org.api.deploy("modeler", bad, expect=422).get_json()["error"]
    assert (error["element"], error["line"]) == ("manager_review", 7)
    assert "Unknown function 'boss'" in error["message"]


def test_people_functions_outside_a_running_process_fail_clearly() -> None:
    from server.engine import directory  # noqa: F401 - registers the functions
    from server.expressions import ExpressionError, compile_expression

    with pytest.raises(ExpressionError, match="only available while a process runs"):
        compile_expression("manager('ann')").evaluate({})


def test_a_missing_manager_incident_is_retried_after_the_data_is_fixed(org: Flow) -> None:
    _deploy(org, "manager.bpmn", "levels.bpmn")
    single = _start(org, "orphan", "approval_manager")
    chain = _start(org, "orphan", "approval_levels", {"amount": 1})
    with org.api.app.extensions["boms_db"].write() as session:
        orphan = session.scalar(select(User).where(User.username == "orphan"))
        orphan.manager = session.scalar(select(User).where(User.username == "lead"))
    for instance in (single, chain):
        response = org.api.post("admin", f"/api/v1/process-instances/{instance}/retry")
        assert response.status_code == 200, response.get_json()
        assert org.instance(instance)["status"] == "running"
    assert org.task(single, "manager_review")["assignee"] == "lead"
    assert org.task(chain, "approve")["assignee"] == "lead"


def test_an_instance_that_gives_no_decision_does_not_inherit_the_previous_one(org: Flow) -> None:
    _deploy(org, "levels.bpmn")
    instance = _start(org, "clerk", "approval_levels", {"amount": 5_000_000})
    _approve(org, instance, "approve", "lead", {"approved": True})
    _approve(org, instance, "approve", "director", {})  # no decision: counts for neither
    _approve(org, instance, "approve", "ceo", {"approved": True})
    variables = org.instance(instance)["variables"]
    assert (variables["nrOfApproved"], variables["nrOfRejected"], variables["nrOfInstances"]) == (2, 0, 3)
