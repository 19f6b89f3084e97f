"""camunda:constraint on form fields: the standard validators are enforced on submit with the field
named; a custom validator is refused at deploy (it would be accepted and never run)."""

from __future__ import annotations

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api


def _task(team: Api) -> tuple[str, str]:
    team.deploy("modeler", "camunda7/form_constraints.bpmn")
    started = team.start("staff", "formConstraints", {"ref": "R-1"})
    [task] = open_by_element(team, started["id"])["fill"]
    return started["id"], task["id"]


def test_standard_validators_are_enforced_with_the_field_named(team: Api) -> None:
    instance_id, task_id = _task(team)
    cases = [({}, "name", "is required"), ({"name": "ab"}, "name", "at least 3"),
             ({"name": "abcdefghijk"}, "name", "at most 10"), ({"name": "abc", "count": 0}, "count", "at least 1"),
             ({"name": "abc", "count": 6}, "count", "at most 5"),
             ({"name": "abc", "ref": "R-2"}, "ref", "read-only")]
    for variables, field, text in cases:
        response = team.post("staff", f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})
        assert response.status_code == 422, (variables, response.get_json())
        fields = response.get_json()["error"]["fields"]
        assert list(fields) == [field] and text in fields[field], (variables, fields)
    assert instance(team, instance_id)["status"] == "running"
    complete(team, "staff", task_id, {"name": "abc", "count": 5, "ref": "R-1"})  # the value shown is fine
    body = instance(team, instance_id)
    assert body["status"] == "completed" and body["variables"]["ref"] == "R-1"


def test_custom_validator_is_refused_at_deploy_naming_element_and_field(team: Api) -> None:
    error = team.deploy("modeler", "camunda7/form_custom_validator.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "fill" and error["field"] == "count", error
    assert "validator" in error["message"] and "org.example.EvenValidator" in error["message"], error
    assert team.get("admin", "/api/v1/process-definitions").get_json()["total"] == 0
