"""Issue 16, defect 2: variables too deep or too large are refused with 422 naming the field, at every entry."""

from __future__ import annotations

from typing import Any

import pytest

from server.errors import ValueRefused
from server.forms.limits import MAX_BYTES, MAX_DEPTH, MAX_STRING, check_value
from tests.hostile.conftest import nested


def refused(response: Any, field: str, status: int = 422) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["error"]["field"] == field, body
    assert field in body["error"]["fields"], body
    return body["error"]


def test_a_variable_500_levels_deep_is_refused_at_start(team: Any) -> None:
    response = team.post("alice", "/api/v1/process-definitions/two_tasks/start",
                         json={"variables": {"deep": nested(500)}})
    error = refused(response, "deep" + ".0" * MAX_DEPTH)
    assert "nested more than 32 levels" in error["fields"]["deep" + ".0" * MAX_DEPTH]
    assert team.get("admin", "/api/v1/process-instances").get_json()["total"] == 0


def test_a_variable_at_the_depth_limit_is_accepted_and_the_instance_keeps_working(team: Any) -> None:
    instance = team.start("alice", "two_tasks", {"deep": nested(MAX_DEPTH)})
    task = instance["openTasks"][0]["id"]
    response = team.post("alice", f"/api/v1/tasks/{task}/complete", json={"variables": {"note": "ok"}})
    assert response.status_code == 200, response.get_json()


def test_deep_and_large_values_are_refused_when_completing_a_task(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task = instance["openTasks"][0]["id"]
    refused(team.post("alice", f"/api/v1/tasks/{task}/complete", json={"variables": {"note": nested(40)}}),
            "note" + ".0" * MAX_DEPTH)
    refused(team.post("alice", f"/api/v1/tasks/{task}/complete",
                      json={"variables": {"note": "x" * (MAX_STRING + 1)}}), "note")
    many = {f"v{i}": "y" * 90_000 for i in range(12)}
    error = refused(team.post("alice", f"/api/v1/tasks/{task}/complete", json={"variables": many}), "v0")
    assert str(MAX_BYTES) in error["message"]
    assert team.get("alice", f"/api/v1/tasks/{task}").get_json()["status"] == "open"


def test_deep_values_are_refused_by_the_variables_patch(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    response = team.client.patch(f"/api/v1/process-instances/{instance['id']}/variables",
                                 headers=team.headers("admin"), json={"variables": {"x": {"a": nested(40)}}})
    refused(response, "x.a" + ".0" * (MAX_DEPTH - 1))


def test_deep_values_are_refused_in_messages_signals_and_decisions(team: Any) -> None:
    for url in ("/api/v1/messages", "/api/v1/signals"):
        refused(team.post("admin", url, json={"name": "go", "variables": {"m": nested(100)}}), "m" + ".0" * MAX_DEPTH)
    team.deploy("modeler", "dmn/loan.dmn")
    refused(team.post("alice", "/api/v1/decisions/loan_offer/evaluate", json={"variables": {"d": nested(100)}}),
            "d" + ".0" * MAX_DEPTH)


def test_web_forms_refuse_values_too_long_or_not_storable(team: Any, browser: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task = instance["openTasks"][0]["id"]
    alice = browser("alice")
    response = alice.post(f"/tasks/{task}/complete", {"note": "x" * (MAX_STRING + 1)}, from_page=f"/tasks/{task}")
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert "100000" in response.get_data(as_text=True) or "100,000" in response.get_data(as_text=True)
    response = alice.post(f"/tasks/{task}/complete", {"note": "a\x00b"}, from_page=f"/tasks/{task}")
    assert response.status_code == 400
    response = alice.post("/start/two_tasks", {"businessKey": "k" * 256}, from_page="/start/two_tasks")
    assert response.status_code == 422
    assert team.get("alice", f"/api/v1/tasks/{task}").get_json()["status"] == "open"
    assert team.get("admin", "/api/v1/process-instances").get_json()["total"] == 1


@pytest.mark.parametrize("value, code", [
    (nested(10_000), "too_deep"),
    ({"a": float("nan")}, "not_finite"),
    ({"a": [1, float("inf")]}, "not_finite"),
    ({"k\x00": 1}, "nul_character"),
    ({"a": "\ud800"}, "lone_surrogate"),
    ({f"k{i}": i for i in range(1001)}, "too_many_keys"),
    (list(range(10_001)), "too_many_items"),
])
def test_check_value_refuses_without_recursing(value: Any, code: str) -> None:
    with pytest.raises(ValueRefused) as caught:
        check_value(value, "field")
    message = caught.value.details["fields"][caught.value.details["field"]]
    assert message.code == code
    assert caught.value.details["field"].startswith("field")
