"""The demo purchase request, end to end through the REST API."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def purchase(api: Any) -> Any:
    api.user("fiona", groups=("finance",))
    api.user("mike", groups=("managers",), manager="fiona")
    api.user("alice", groups=("employees",), manager="mike")
    response = api.deploy("modeler", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    body = response.get_json()
    assert {(p["key"], p["version"]) for p in body["processes"]} == {("purchase_request", 1)}
    assert {(d["key"], d["version"]) for d in body["decisions"]} == {("approval_route", 1)}
    return api


def request(api: Any, amount: int) -> dict[str, Any]:
    return api.start("alice", "purchase_request", {"item": "Laptop", "amount": amount, "reason": "old one broke"},
                     businessKey=f"PR-{amount}")


def complete(api: Any, who: str, task_id: str, variables: dict[str, Any], status: int = 200) -> Any:
    response = api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_small_request_needs_only_the_manager(purchase: Any) -> None:
    instance = request(purchase, 1200)
    assert instance["status"] == "running"
    assert instance["activeElements"] == ["manager_approval"]
    assert instance["variables"]["route"] == "manager"
    assert instance["variables"]["initiator"] == "alice"
    [task] = instance["openTasks"]
    assert task["candidateGroups"] == ["managers"] and task["assignee"] is None
    assert task["dueAt"] is not None

    assert purchase.open_tasks("alice") == []  # not her group
    [mine] = purchase.open_tasks("mike", candidateGroup="managers")
    detail = purchase.get("mike", f"/api/v1/tasks/{mine['id']}").get_json()
    assert set(detail["form"]["properties"]) >= {"managerDecision", "managerComment"}

    assert purchase.post("mike", f"/api/v1/tasks/{mine['id']}/claim").get_json()["assignee"] == "mike"
    complete(purchase, "mike", mine["id"], {"managerDecision": "approve", "managerComment": "ok"})
    done = purchase.get("alice", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert done["status"] == "completed"
    assert "end_approved" in done["visitedElements"] and "flow_mgr_approved_manager" in done["visitedElements"]


def test_large_request_goes_on_to_the_finance_director(purchase: Any) -> None:
    instance = request(purchase, 8000)
    assert instance["variables"]["route"] == "finance"
    [task] = instance["openTasks"]
    complete(purchase, "mike", task["id"], {"managerDecision": "approve"})
    [finance] = purchase.open_tasks("fiona")
    assert finance["elementId"] == "finance_approval" and finance["candidateGroups"] == ["finance"]
    assert purchase.open_tasks("mike") == []
    complete(purchase, "fiona", finance["id"], {"financeDecision": "approve", "financeComment": "fine"})
    done = purchase.get("alice", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert done["status"] == "completed" and done["activeElements"] == []

    history = purchase.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["items"]
    kinds = [e["kind"] for e in history]
    assert kinds[0] == "instance.started" and kinds[-1] == "instance.completed"
    decision = next(e for e in history if e["kind"] == "decision.evaluated")
    assert decision["data"]["outputs"] == {"route": "finance"} and decision["elementId"] == "determine_route"
    gateways = [e for e in history if e["kind"] == "gateway.decided"]
    assert [g["data"]["targets"] for g in gateways] == [["manager_approval"], ["finance_approval"], ["end_approved"]]
    completed = [e for e in history if e["kind"] == "task.completed"]
    assert [(e["actor"], e["data"]["variables"]) for e in completed] == [
        ("mike", {"managerDecision": "approve"}),
        ("fiona", {"financeDecision": "approve", "financeComment": "fine"}),
    ]


def test_rejection_ends_with_a_notice_to_the_requester(purchase: Any) -> None:
    instance = request(purchase, 300)
    [task] = instance["openTasks"]
    complete(purchase, "mike", task["id"], {"managerDecision": "reject", "managerComment": "no budget"})
    [notice] = purchase.open_tasks("alice", assignee="me")
    assert notice["elementId"] == "rejection_notice" and notice["assignee"] == "alice"
    assert purchase.post("mike", f"/api/v1/tasks/{notice['id']}/complete",
                         json={"variables": {"acknowledged": True}}).status_code == 403
    complete(purchase, "alice", notice["id"], {"acknowledged": True})
    done = purchase.get("alice", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert done["status"] == "completed" and "end_rejected" in done["visitedElements"]


def test_start_form_is_validated(purchase: Any) -> None:
    response = purchase.post("alice", "/api/v1/process-definitions/purchase_request/start",
                             json={"variables": {"item": "x", "amount": "lots"}})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"amount", "reason"}
    listed = purchase.get("admin", "/api/v1/process-instances").get_json()
    assert listed["total"] == 0


def test_read_only_fields_show_the_submitted_values(purchase: Any) -> None:
    instance = request(purchase, 4200)
    [task] = instance["openTasks"]
    form = purchase.get("mike", f"/api/v1/tasks/{task['id']}").get_json()["form"]
    assert form["properties"]["amount"]["readOnly"] is True
    assert form["properties"]["amount"]["default"] == 4200
    assert "default" not in form["properties"]["managerComment"]


def test_visited_elements_are_only_what_happened(purchase: Any) -> None:
    instance = request(purchase, 8000)
    [task] = instance["openTasks"]
    complete(purchase, "mike", task["id"], {"managerDecision": "approve"})
    now = purchase.get("alice", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert now["activeElements"] == ["finance_approval"]
    assert "flow_mgr_approved_finance" in now["visitedElements"]
    assert "gw_finance_decision" not in now["visitedElements"]
    assert "flow_finance_to_gw" not in now["visitedElements"]
