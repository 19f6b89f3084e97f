"""A Camunda 7 gateway condition written in JUEL (`gt`, `and`, `not empty`) routes as Camunda routes it."""

from __future__ import annotations

from tests.camunda7.conftest import instance, open_by_element
from tests.conftest import Api


def test_juel_condition_routes(team: Api) -> None:
    team.deploy("modeler", "camunda7/juel_conditions.bpmn")
    reviewed = team.start("staff", "juelConditions", {"amount": 150, "approver": "bob"})
    [task] = open_by_element(team, reviewed["id"])["review"]
    assert task["assignee"] == "bob"
    for variables in ({"amount": 150, "approver": ""}, {"amount": 50, "approver": "bob"}):
        body = instance(team, team.start("staff", "juelConditions", variables)["id"])
        assert body["status"] == "completed" and "auto" in body["visitedElements"], variables
