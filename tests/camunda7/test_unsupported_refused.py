"""The general rule: what BOMS does not execute is refused at deploy naming element, attribute and line.

Each case is one small Camunda 7 file with one construct BOMS cannot run; the deploy must fail with
a 422 naming the element, the construct and its line, and store nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Api

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="Examples">
  <process id="unsupported" isExecutable="true">
    <startEvent id="theStart" />
    <sequenceFlow id="f1" sourceRef="theStart" targetRef="theTask" />
"""
TAIL = """
    <sequenceFlow id="f2" sourceRef="theTask" targetRef="theEnd" />
    <endEvent id="theEnd" />
  </process>
</definitions>
"""
LINE = 7  # the line the snippet starts on

CASES = {
    "script task listener": ("""<userTask id="theTask"><extensionElements>
      <camunda:taskListener event="create"><camunda:script scriptFormat="groovy">task.assignee = 'x'</camunda:script>
      </camunda:taskListener></extensionElements></userTask>""", "camunda:taskListener", "script", 8),
    "class task listener": ("""<userTask id="theTask"><extensionElements>
      <camunda:taskListener event="create" class="org.example.Listener" /></extensionElements></userTask>""",
                            "camunda:taskListener", "class", 8),
    "delegate execution listener": ("""<userTask id="theTask"><extensionElements>
      <camunda:executionListener event="start" delegateExpression="${l}" /></extensionElements></userTask>""",
                                    "camunda:executionListener", "delegateExpression", 8),
    "assignment task listener": ("""<userTask id="theTask"><extensionElements>
      <camunda:taskListener event="assignment" expression="${task.id}" /></extensionElements></userTask>""",
                                 "camunda:taskListener", "'create' and 'complete' only", 8),
    "task listener reading the assignee at create": ("""<userTask id="theTask"><extensionElements>
      <camunda:taskListener event="create" expression="${execution.setVariable('a', task.assignee)}" />
      </extensionElements></userTask>""", "camunda:taskListener", "not known yet", 8),
    "listener on a catching event's start": ("""<intermediateCatchEvent id="theTask"><extensionElements>
      <camunda:executionListener event="start" expression="${execution.setVariable('a', 1)}" />
      </extensionElements><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
      </intermediateCatchEvent>""", "camunda:executionListener", "put it on the element before", 8),
    "expression execution listener": ("""<task id="theTask"><extensionElements>
      <camunda:executionListener event="end" expression="${x.y()}" /></extensionElements></task>""",
                                      "camunda:executionListener", "expression", 8),
    "field injection": ("""<serviceTask id="theTask" camunda:type="external" camunda:topic="http">
      <extensionElements><camunda:field name="x" stringValue="y" /></extensionElements></serviceTask>""",
                        "camunda:field", "not supported", 8),
    "form key": ("""<userTask id="theTask" camunda:formKey="embedded:app:forms/a.html" />""",
                 "camunda:formKey", "not supported", LINE),
    "follow-up date": ("""<userTask id="theTask" camunda:followUpDate="P1D" />""", "camunda:followUpDate",
                       "not supported", LINE),
    "priority": ("""<userTask id="theTask" camunda:priority="80" />""", "camunda:priority", "not supported", LINE),
    "assignee on a service task": ("""<task id="theTask" camunda:assignee="kermit" />""", "camunda:assignee",
                                   "not read on a task", LINE),
    "decision version binding": ("""<businessRuleTask id="theTask" camunda:decisionRef="d"
      camunda:decisionRefBinding="version" camunda:decisionRefVersion="2" />""", "camunda:decisionRefBinding",
                                 "not supported", 8),
    "call activity business key": ("""<callActivity id="theTask" calledElement="other">
      <extensionElements><camunda:in businessKey="#{execution.processBusinessKey}" /></extensionElements>
      </callActivity>""", "camunda:in", "businessKey", 8),
    "input mapping on a user task": ("""<userTask id="theTask"><extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput></extensionElements>
      </userTask>""", "camunda:inputOutput", "would not apply", LINE),
    "potential owner": ("""<userTask id="theTask"><potentialOwner><resourceAssignmentExpression>
      <formalExpression>group(management)</formalExpression></resourceAssignmentExpression></potentialOwner>
      </userTask>""", "bpmn:potentialOwner", "camunda:candidateGroups", LINE),
    "standard loop": ("""<task id="theTask"><standardLoopCharacteristics /></task>""",
                      "bpmn:standardLoopCharacteristics", "not supported", LINE),
    "compensation": ("""<task id="theTask" /><boundaryEvent id="comp" attachedToRef="theTask">
      <compensateEventDefinition /></boundaryEvent>""", "bpmn:compensateEventDefinition", "compensation", 8),
    "java class on a message end event": ("""<task id="theTask" /><endEvent id="msgEnd">
      <messageEventDefinition camunda:class="org.example.Send" /></endEvent>""", "camunda:class", "Java", 8),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unsupported_construct_is_refused_at_deploy(api: Api, tmp_path: Path, case: str) -> None:
    snippet, construct, detail, line = CASES[case]
    if "businessRuleTask" in snippet and "decisionRefBinding" in snippet:
        api.deploy("modeler", "dmn/shipping.dmn")
    path = tmp_path / "unsupported.bpmn"
    path.write_text(HEAD + "    " + snippet + TAIL)
    response = api.deploy("modeler", path, expect=422)
    error = response.get_json()["error"]
    message = error["message"]
    assert construct in message and detail in message, message
    assert "unsupported.bpmn" in message and error["line"] == line, error
    assert error["element"] in ("theTask", "msgEnd", "comp"), error
    assert api.get("admin", "/api/v1/process-definitions").get_json()["total"] == 0
