"""Camunda expression listeners run (compiled, with `execution` and `task`), in Camunda's order."""

from __future__ import annotations

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api


def test_execution_and_task_listeners_run_in_camundas_order(team: Api) -> None:
    team.deploy("modeler", "camunda7/expression_listeners.bpmn")
    started = team.start("staff", "expressionListeners", {"reviewer": "bob"}, businessKey="B-9")
    body = instance(team, started["id"])
    assert body["variables"]["startedFor"] == "B-9"
    assert body["variables"]["count"] == 1  # the start event's listener, then the task's start listener
    assert body["variables"]["taskName"] == "Review/review"  # the create listener saw the started task
    [review] = open_by_element(team, started["id"])["review"]
    assert review["assignee"] == "bob"
    complete(team, "bob", review["id"])
    body = instance(team, started["id"])
    assert body["status"] == "completed"
    assert body["variables"]["reviewedBy"] == "bob"  # task complete, before the execution end listener
    assert body["variables"]["summary"] == "bob done"
    assert body["variables"]["finished"] == "end"


def test_set_variable_outside_a_listener_is_an_incident_naming_it(team: Api, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "writes.bpmn"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             targetNamespace="Examples">
  <process id="writes" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <exclusiveGateway id="g" default="f3" />
    <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression xsi:type="tFormalExpression"
      >${execution.setVariable('x', 1)}</conditionExpression></sequenceFlow>
    <sequenceFlow id="f3" sourceRef="g" targetRef="e" />
    <endEvent id="e" />
  </process>
</definitions>""")
    team.deploy("modeler", path)
    body = instance(team, team.start("staff", "writes")["id"])
    assert body["status"] == "error" and "only available in an execution or task listener" in body["error"]["message"]
