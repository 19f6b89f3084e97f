"""`camunda:expression` service and send tasks: evaluated in the engine, the value in `camunda:resultVariable`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.camunda7.conftest import instance
from tests.conftest import Api

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="expressionTasks" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="t1" />
"""
TAIL = """    <endEvent id="e" />
  </process>
</definitions>
"""
RUNS = HEAD + """    <serviceTask id="t1" camunda:expression="${name.toUpperCase()}" camunda:resultVariable="upper" />
    <sequenceFlow id="f2" sourceRef="t1" targetRef="t2" />
    <sendTask id="t2" camunda:expression="${amount gt 100 ? 'big' : 'small'}" camunda:resultVariable="size" />
    <sequenceFlow id="f3" sourceRef="t2" targetRef="t3" />
    <serviceTask id="t3" camunda:expression="${execution.setVariable('where', execution.currentActivityId)}" />
    <sequenceFlow id="f4" sourceRef="t3" targetRef="t4" />
    <serviceTask id="t4" camunda:expression="${dateTime().plusDays(2).toDate()}" camunda:resultVariable="due" />
    <sequenceFlow id="f5" sourceRef="t4" targetRef="e" />
""" + TAIL


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expression_tasks.bpmn"
    path.write_text(text)
    return path


def test_expressions_run_and_store_their_result(team: Api, tmp_path: Path) -> None:
    team.deploy("modeler", _file(tmp_path, RUNS))
    started = team.start("staff", "expressionTasks", {"name": "ada", "amount": 250})
    body = instance(team, started["id"])
    assert body["status"] == "completed", body
    variables = body["variables"]
    assert variables["upper"] == "ADA" and variables["size"] == "big" and variables["where"] == "t3"
    assert isinstance(variables["due"], str) and variables["due"][:2] == "20"  # ISO text, like every date


def test_a_failing_expression_is_an_incident_on_the_task(team: Api, tmp_path: Path) -> None:
    team.deploy("modeler", _file(tmp_path, RUNS))
    body = instance(team, team.start("staff", "expressionTasks", {"name": 5, "amount": 1})["id"])
    assert body["status"] == "error" and "toUpperCase" in body["error"]["message"], body
    assert body["error"].get("element") in ("t1", None), body


@pytest.mark.parametrize(("task", "message"), [
    ('<serviceTask id="t1" camunda:expression="${name.frobnicate()}" />', "frobnicate"),
    ('<serviceTask id="t1" camunda:expression="${a}" camunda:topic="x" camunda:type="external" />',
     "give the implementation once"),
    ('<serviceTask id="t1" camunda:resultVariable="r" camunda:type="external" camunda:topic="x" />',
     "camunda:resultVariable on a serviceTask"),
    ('<intermediateThrowEvent id="t1"><messageEventDefinition camunda:expression="${a}" />'
     "</intermediateThrowEvent>", "service and send tasks only"),
])
def test_what_cannot_run_is_refused_at_deploy(team: Api, tmp_path: Path, task: str, message: str) -> None:
    text = HEAD + "    " + task + '\n    <sequenceFlow id="f2" sourceRef="t1" targetRef="e" />\n' + TAIL
    error = team.deploy("modeler", _file(tmp_path, text), expect=422).get_json()["error"]
    assert message in error["message"] and error["element"] == "t1" and error["line"], error


def test_an_expression_giving_execution_itself_is_an_incident_not_a_500(team: Api, tmp_path: Path) -> None:
    """`${execution}` is no value a process can store: an incident naming the element, the instance intact."""
    model = HEAD + """    <serviceTask id="t1" camunda:expression="${execution}" camunda:resultVariable="x" />
    <sequenceFlow id="f2" sourceRef="t1" targetRef="u" />
    <userTask id="u" />
    <sequenceFlow id="f3" sourceRef="u" targetRef="e" />
""" + TAIL
    team.deploy("modeler", _file(tmp_path, model))
    started = team.post("staff", "/api/v1/process-definitions/expressionTasks/start", json={"variables": {}})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["error"]["element"] == "t1" and "not values" in body["error"]["message"]
