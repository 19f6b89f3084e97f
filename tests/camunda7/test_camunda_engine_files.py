"""Camunda 7's own engine test files (tests/fixtures/camunda7/engine_tests, Apache-2.0): each runs as
Camunda's test says it does, or is refused at deploy naming the element and what BOMS does not run."""

from __future__ import annotations

import pytest

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api

DIR = "camunda7/engine_tests"


@pytest.mark.parametrize(("file", "key"), [
    ("ExclusiveGatewayTest.testNoIdOnSequenceFlow", "noIdOnSequenceFlow"),
    ("ExclusiveGatewayTest.testWhitespaceInExpression", "whiteSpaceInExpression"),
])
def test_exclusive_gateways_route_as_in_camunda(team: Api, file: str, key: str) -> None:
    team.deploy("modeler", f"{DIR}/{file}.bpmn20.xml")
    tasks = open_by_element(team, team.start("staff", key, {"input": 1})["id"])
    assert list(tasks) == ["theTask1"]
    second = team.start("staff", key, {"input": 2})
    assert list(open_by_element(team, second["id"])) == ["theTask2"]
    [task] = open_by_element(team, second["id"])["theTask2"]
    complete(team, "admin", task["id"])
    assert instance(team, second["id"])["status"] == "completed"


def test_parallel_user_tasks_over_a_collection_with_a_completion_condition(team: Api) -> None:
    for name in ("kermit", "gonzo", "mispiggy", "fozzie", "bubba"):
        team.user(name)
    team.deploy("modeler", f"{DIR}/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml")
    started = team.start("staff", "miParallelUserTasksBasedOnCollection",
                         {"assigneeList": ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]})
    tasks = sorted(open_by_element(team, started["id"])["miTasks"], key=lambda t: t["assignee"])
    assert [t["assignee"] for t in tasks] == ["bubba", "fozzie", "gonzo", "kermit", "mispiggy"]
    for task in tasks[:3]:  # three of five completed: 0.6, the completion condition holds
        complete(team, task["assignee"], task["id"])
    assert instance(team, started["id"])["status"] == "completed"
    assert open_by_element(team, started["id"]) == {}


def test_expression_service_tasks_run_in_the_engine(team: Api) -> None:
    """ExpressionManagerTest: method expressions on service tasks; `authenticatedUserId` is who acts."""
    team.deploy("modeler", f"{DIR}/ExpressionManagerTest.testMethodExpressions.bpmn20.xml")
    started = team.start("staff", "methodExpressionProcess", {"aString": "abcdefgh"})
    assert instance(team, started["id"])["status"] == "completed"
    team.deploy("modeler", f"{DIR}/ExpressionManagerTest.testAuthenticatedUserIdAvailable.bpmn20.xml")
    started = team.start("staff", "testAuthenticatedUserIdAvailableProcess")
    assert instance(team, started["id"])["variables"]["theUser"] == "staff"


@pytest.mark.parametrize(("file", "element", "text"), [
    ("ExpressionManagerTest.testSetVariableByExpressionFromListener", "Task_1ia94uu", "calls Java code"),
    ("ExecutionListenerTest.testScriptListener", None, "runs a script"),
])
def test_what_bomss_does_not_run_is_refused_naming_it(team: Api, file: str, element: str | None, text: str) -> None:
    error = team.deploy("modeler", f"{DIR}/{file}.bpmn20.xml", expect=422).get_json()["error"]
    assert text in error["message"] and error["line"], error
    assert element is None or error["element"] == element, error
    assert team.get("admin", "/api/v1/process-definitions").get_json()["total"] == 0
