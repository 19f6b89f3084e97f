"""A message-started event sub-process listens while its process runs, interrupting or not."""

from __future__ import annotations

from pathlib import Path

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import FIXTURES, Api


def send(api: Api, name: str, key: str, expect: int = 200) -> dict:
    response = api.post("admin", "/api/v1/messages", json={"name": name, "businessKey": key,
                                                           "variables": {"reason": "customer asked"}})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_interrupting_message_event_subprocess_starts_and_cancels_the_work(team: Api) -> None:
    team.deploy("modeler", "camunda7/message_event_subprocess.bpmn")
    started = team.start("staff", "messageEventSub", businessKey="K1")
    other = team.start("staff", "messageEventSub", businessKey="K2")
    assert send(team, "cancelOrder", "K1")["instances"] == [started["id"]]
    assert sorted(open_by_element(team, started["id"])) == ["handle"]
    assert instance(team, started["id"])["variables"]["reason"] == "customer asked"
    send(team, "cancelOrder", "K1", expect=404)  # interrupted: nothing listens any more
    [handle] = open_by_element(team, started["id"])["handle"]
    complete(team, "staff", handle["id"])
    assert instance(team, started["id"])["status"] == "completed"
    assert sorted(open_by_element(team, other["id"])) == ["work"]


def test_non_interrupting_message_event_subprocess_runs_beside(team: Api, tmp_path: Path) -> None:
    text = (FIXTURES / "camunda7/message_event_subprocess.bpmn").read_text()
    path = tmp_path / "non_interrupting.bpmn"
    path.write_text(text.replace('<startEvent id="cancelStart">',
                                 '<startEvent id="cancelStart" isInterrupting="false">'))
    team.deploy("modeler", path)
    started = team.start("staff", "messageEventSub", businessKey="K3")
    send(team, "cancelOrder", "K3")
    send(team, "cancelOrder", "K3")
    tasks = open_by_element(team, started["id"])
    assert len(tasks["work"]) == 1 and len(tasks["handle"]) == 2
    complete(team, "staff", tasks["work"][0]["id"])
    send(team, "cancelOrder", "K3")  # the running event sub-processes keep the scope alive, as in Camunda
    handles = open_by_element(team, started["id"])["handle"]
    assert len(handles) == 3
    for task in handles:
        complete(team, "staff", task["id"])
    assert instance(team, started["id"])["status"] == "completed"
    send(team, "cancelOrder", "K3", expect=404)


def test_timer_started_event_subprocess_is_refused(team: Api, tmp_path: Path) -> None:
    text = (FIXTURES / "camunda7/message_event_subprocess.bpmn").read_text()
    path = tmp_path / "timer_sub.bpmn"
    path.write_text(text.replace('<messageEventDefinition messageRef="msg_cancel" />',
                                 "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>"))
    error = team.deploy("modeler", path, expect=422).get_json()["error"]
    assert error["element"] == "cancelStart" and "timer" in error["message"] and error["line"] == 12
