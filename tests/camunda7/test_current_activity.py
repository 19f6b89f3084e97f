"""`execution.currentActivityId` / `activityId` / `currentActivityName`: the element evaluating the expression."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.expressions import ExpressionError, compile_expression
from server.expressions.juel_values import NOT_KNOWN, ExecutionView
from tests.camunda7.conftest import instance, open_by_element
from tests.conftest import Api

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="Examples">
  <process id="whereAmI" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="decide" />
    <exclusiveGateway id="decide" default="f3" />
    <sequenceFlow id="f2" sourceRef="decide" targetRef="review"><conditionExpression xsi:type="tFormalExpression"
      >${execution.currentActivityId == 'decide'}</conditionExpression></sequenceFlow>
    <sequenceFlow id="f3" sourceRef="decide" targetRef="wrong" />
    <endEvent id="wrong" />
    <userTask id="review" name="At ${execution.currentActivityId}"
              camunda:assignee="${execution.activityId == 'review' ? 'bob' : 'nobody'}">
      <extensionElements>
        <camunda:executionListener event="start"
          expression="${execution.setVariable('entered', execution.getCurrentActivityName())}" />
      </extensionElements>
    </userTask>
    <sequenceFlow id="f4" sourceRef="review" targetRef="e" />
    <endEvent id="e" />
  </process>
</definitions>
"""


def test_the_element_is_known_in_conditions_assignments_names_and_listeners(team: Api, tmp_path: Path) -> None:
    path = tmp_path / "where_am_i.bpmn"
    path.write_text(BPMN)
    team.deploy("modeler", path)
    started = team.start("staff", "whereAmI")
    [review] = open_by_element(team, started["id"])["review"]
    assert review["assignee"] == "bob" and review["name"] == "At review"
    assert instance(team, started["id"])["variables"]["entered"] == "At ${execution.currentActivityId}"


def test_where_the_element_is_not_known_reading_it_fails_instead_of_answering_null() -> None:
    view = ExecutionView({}, {"id": "i-1", "currentActivityId": NOT_KNOWN})
    assert compile_expression("${execution.id}").evaluate({"execution": view}) == "i-1"
    with pytest.raises(ExpressionError, match="currentActivityId is not known"):
        compile_expression("${execution.currentActivityId}").evaluate({"execution": view})
