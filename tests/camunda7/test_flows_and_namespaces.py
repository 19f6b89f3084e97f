"""Camunda 7 spellings that used to deploy and then run wrongly: id-less flows, the activiti: namespace."""

from __future__ import annotations

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api


def test_sequence_flows_without_ids_run_every_task(team: Api) -> None:
    team.deploy("modeler", "camunda7/flows_without_ids.bpmn")
    started = team.start("staff", "flowsWithoutIds")
    assert instance(team, started["id"])["status"] == "running"
    tasks = open_by_element(team, started["id"])
    assert sorted(tasks) == ["taskA", "taskB"]
    complete(team, "staff", tasks["taskA"][0]["id"])
    complete(team, "staff", tasks["taskB"][0]["id"], {"again": True})
    [task_c] = open_by_element(team, started["id"])["taskC"]
    complete(team, "staff", task_c["id"])
    assert instance(team, started["id"])["status"] == "completed"


def test_generated_flow_ids_are_stable_and_unique() -> None:
    from server.engine.normalize import normalize
    from server.engine.xml import parse_xml
    from tests.conftest import FIXTURES

    content = (FIXTURES / "camunda7/flows_without_ids.bpmn").read_bytes()
    first = normalize(parse_xml(content, "f.bpmn")).xpath("//*[local-name()='sequenceFlow']/@id")
    again = normalize(parse_xml(content, "f.bpmn")).xpath("//*[local-name()='sequenceFlow']/@id")
    assert first == again and len(set(first)) == len(first) == 9
    assert "Flow_theStart_fork" in first and "toTheEnd" in first


def test_activiti_namespace_reads_as_camunda(team: Api) -> None:
    team.deploy("modeler", "dmn/shipping.dmn", "camunda7/activiti_namespace.bpmn")
    form = team.get("staff", "/api/v1/process-definitions/activitiProcess").get_json()
    started = team.start("staff", "activitiProcess", {"country": "DE", "weight": 1, "express": True,
                                                      "orderDate": "2026-12-01"})
    variables = instance(team, started["id"])["variables"]
    assert variables["starter"] == "staff"
    assert variables["carrierChoice"]["carrier"]
    [review] = open_by_element(team, started["id"])["review"]
    assert review["assignee"] == "staff"
    detail = team.get("staff", f"/api/v1/tasks/{review['id']}").get_json()["form"]
    assert detail["required"] == ["approved"] and detail["properties"]["priority"]["enum"] == ["low", "high"]
    complete(team, "staff", review["id"], {"approved": True, "priority": "high"})
    [pack] = open_by_element(team, started["id"])["pack"]
    assert pack["candidateGroups"] == ["warehouse"] and pack["candidateUsers"] == ["bob"]
    complete(team, "bob", pack["id"])
    assert instance(team, started["id"])["status"] == "completed"
    assert form is not None


def test_activiti_java_class_is_refused_like_camunda(team: Api, tmp_path) -> None:
    path = tmp_path / "activiti_class.bpmn"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:activiti="http://activiti.org/bpmn"
             targetNamespace="Examples">
  <process id="javaClass" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="callJava" />
    <serviceTask id="callJava" activiti:class="org.example.Delegate" />
    <sequenceFlow id="f2" sourceRef="callJava" targetRef="e" />
    <endEvent id="e" />
  </process>
</definitions>
""")
    body = team.deploy("modeler", path, expect=422).get_json()["error"]
    assert "callJava" in body["message"] and "camunda:class" in body["message"]
    assert body["line"] == 7
