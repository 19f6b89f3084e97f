"""`${...}` inside longer text is evaluated as Camunda evaluates composite expressions."""

from __future__ import annotations

from typing import Any

import pytest

from server.engine.templates import compile_template, evaluate_template
from server.expressions import ExpressionError
from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api


def test_templates_concatenate_text_and_values() -> None:
    assert evaluate_template("kermit_${loopCounter}", {"loopCounter": 1}) == "kermit_1"
    assert evaluate_template("${count}", {"count": 3}) == 3  # one expression keeps its type
    assert evaluate_template(" ${ok} ", {"ok": True}) is True
    assert evaluate_template("a ${x} b #{y}", {"x": None, "y": False}) == "a  b false"
    assert evaluate_template("plain text", {}) == "plain text"
    assert evaluate_template("${ {a: 1}.a }-${'}'}", {}) == "1-}"
    with pytest.raises(ExpressionError):
        compile_template("kermit_${loopCounter")
    with pytest.raises(ExpressionError):
        compile_template("kermit_${loopCounter +}")


def test_assignee_name_candidates_due_date_and_instructions_are_evaluated(team: Api, browser: Any) -> None:
    team.user("kermit")
    team.deploy("modeler", "camunda7/composite_expressions.bpmn")
    order = {"number": 42, "customer": "ACME", "region": "north", "day": 5}
    started = team.start("staff", "compositeExpressions", {"order": order})
    mi = sorted(open_by_element(team, started["id"])["miTasks"], key=lambda t: t["assignee"])
    assert [(t["assignee"], t["name"]) for t in mi] == [("kermit_0", "My Task 0"), ("kermit_1", "My Task 1")]
    inbox = team.open_tasks("kermit_1")
    assert [t["name"] for t in inbox] == ["My Task 1"]
    for task in mi:
        complete(team, task["assignee"], task["id"])
    [review] = open_by_element(team, started["id"])["review"]
    assert review["name"] == "Review order 42 for ACME"
    assert review["candidateGroups"] == ["staff", "team_north"] and review["candidateUsers"] == ["kermit_1"]
    assert review["dueAt"].startswith("2030-01-05T12:00:00")
    detail = team.get("staff", f"/api/v1/tasks/{review['id']}").get_json()
    assert detail["instructions"] == "Check order 42 before north closes."
    page = browser("staff").get(f"/tasks/{review['id']}")
    assert page.status_code == 200 and "Check order 42 before north closes." in page.get_data(as_text=True)
    inbox = browser("staff").get("/inbox?tab=groups").get_data(as_text=True)
    assert "Review order 42 for ACME" in inbox
    complete(team, "staff", review["id"])
    assert instance(team, started["id"])["status"] == "completed"


def test_bad_composite_expression_is_refused_at_deploy(team: Api) -> None:
    error = team.deploy("modeler", "camunda7/bad_composite_expression.bpmn", expect=422).get_json()["error"]
    assert "camunda:assignee" in error["message"] and error["element"] == "task" and error["line"] == 7
