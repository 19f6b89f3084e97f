"""Add signer in parallel (加签 "parallel"): signers beside the assignee each get a task, everyone must act,
in any order; the first rejection ends the step; through the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.engine.flow import Flow
from tests.engine.test_task_delegation import notified, review
from tests.engine.test_task_return import kinds, post


def beside(api: Api, *names: str) -> tuple[Flow, str, dict[str, Any], list[dict[str, Any]]]:
    flow, instance, task = review(api)
    for name in names:
        if name != "helper":
            api.user(name)
    response = post(api, "boss", f"/api/v1/tasks/{task['id']}/add-signers", users=list(names), mode="parallel",
                    comment="your view too")
    assert response.status_code == 200 and response.get_json()["delegation"] == "parallel", response.get_json()
    parts = [t for t in flow.open(instance)["manager_review"] if t["signsFor"] == task["id"]]
    assert sorted(p["assignee"] for p in parts) == sorted(names)
    return flow, instance, task, parts


def test_everyone_beside_must_act_in_any_order(api: Api) -> None:
    flow, instance, task, parts = beside(api, "helper", "second")
    assert "task.assigned" in notified(api, "helper")
    assert [t["id"] for t in api.open_tasks("helper")] == [parts[0]["id"] if parts[0]["assignee"] == "helper"
                                                          else parts[1]["id"]]
    by = {p["assignee"]: p for p in parts}
    flow.complete(by["helper"], {"managerDecision": "approve"}, who="helper")
    flow.complete(task, {"managerDecision": "approve"}, who="boss")
    assert flow.elements(instance) == ["manager_review"]  # second has not acted yet
    flow.complete(task, {"managerDecision": "approve"}, who="boss", expect=409)  # signed already
    page = api.client.get(f"/api/v1/tasks/{task['id']}", headers=api.headers("boss")).get_json()
    assert page["status"] == "open"
    flow.complete(by["second"], {"managerDecision": "approve"}, who="second")
    assert flow.elements(instance) == ["finance_review"]
    done = {t["id"]: t for t in flow.task_rows(instance, "completed")}
    assert done[task["id"]]["completedBy"] == "boss"  # a return to this step goes to its assignee
    assert done[by["second"]["id"]]["completedBy"] == "second"
    history = kinds(api, instance)
    assert history.count("task.signer_added") == 1 and "task.resolved" in history


def test_a_rejection_beside_ends_the_step_and_cancels_the_others(api: Api) -> None:
    flow, instance, task, parts = beside(api, "helper", "second")
    by = {p["assignee"]: p for p in parts}
    flow.complete(by["helper"], {"managerDecision": "reject"}, who="helper")
    assert flow.elements(instance) == ["finance_review"]
    assert flow.instance(instance)["variables"]["managerDecision"] == "reject"
    cancelled = {t["id"] for t in flow.task_rows(instance, "cancelled")}
    assert by["second"]["id"] in cancelled
    flow.complete(by["second"], {"managerDecision": "approve"}, who="second", expect=409)


def test_returning_the_step_cancels_the_parts_beside_it(api: Api) -> None:
    flow, instance, task, parts = beside(api, "helper")
    response = post(api, "boss", f"/api/v1/tasks/{task['id']}/return", to="initiator", comment="fix the amount")
    assert response.status_code == 200, response.get_json()
    assert flow.elements(instance) == ["submit"]
    assert parts[0]["id"] in {t["id"] for t in flow.task_rows(instance, "cancelled")}


def test_what_a_signer_beside_cannot_do(api: Api) -> None:
    flow, instance, task, parts = beside(api, "helper")
    part = f"/api/v1/tasks/{parts[0]['id']}"
    api.user("third")
    for action, body in (("transfer", {"user": "third"}), ("delegate", {"user": "third"}),
                         ("add-signers", {"users": ["third"], "mode": "parallel"})):
        response = post(api, "helper", f"{part}/{action}", **body)
        assert response.status_code == 409 and "countersigned" in str(response.get_json()), (action, response)
    again = post(api, "boss", f"/api/v1/tasks/{task['id']}/add-signers", users=["helper"], mode="parallel")
    assert again.status_code == 400 and "already signs beside" in str(again.get_json())
    after = post(api, "boss", f"/api/v1/tasks/{task['id']}/add-signers", users=["third"], mode="after")
    assert after.status_code == 409 and "beside" in str(after.get_json())
    delegate = post(api, "boss", f"/api/v1/tasks/{task['id']}/delegate", user="third")
    assert delegate.status_code == 409
    assert len(flow.open(instance)["manager_review"]) == 2  # nothing changed
