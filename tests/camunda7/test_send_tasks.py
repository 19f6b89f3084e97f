"""Send tasks and message throw/end events with a Camunda implementation run like service tasks;
a topic no connector serves is an external task for outside workers; Java code is refused at deploy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from server import connectors
from server.connectors import ConnectorContext
from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api, run_due_jobs


@pytest.fixture
def echo() -> Iterator[list[str]]:
    calls: list[str] = []

    @connectors.register("echo-test", parameters={"text"}, required={"text"})
    def _echo(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
        calls.append(params["text"])
        return {"echo": params["text"]}

    try:
        yield calls
    finally:
        connectors._REGISTRY.pop("echo-test")


def test_send_task_and_message_events_call_their_connector(app: Any, team: Api, echo: list[str]) -> None:
    team.deploy("modeler", "camunda7/send_tasks.bpmn")
    started = team.start("staff", "sendTasks", {"order": 7})
    assert echo == []  # queued for a worker, not called in the request
    run_due_jobs(app)  # the send task's call, then the throw event's (due at once)
    assert echo == ["invoice 7", "ship 7"]
    body = instance(team, started["id"])
    assert body["variables"]["invoiceSent"] == "invoice 7" and body["variables"]["shippingNotified"] == "ship 7"
    [check] = open_by_element(team, started["id"])["check"]
    complete(team, "staff", check["id"])
    assert instance(team, started["id"])["status"] == "running"  # the end event's call is queued
    assert run_due_jobs(app) == 1 and echo == ["invoice 7", "ship 7", "done 7"]
    assert instance(team, started["id"])["status"] == "completed"


@pytest.mark.parametrize(("name", "element", "attribute", "line"), [
    ("send_task_java", "sendMail", "camunda:class", 7),
    ("message_end_java", "theEnd", "camunda:delegateExpression", 8),
])
def test_what_cannot_run_is_refused_at_deploy(team: Api, name: str, element: str, attribute: str,
                                              line: int) -> None:
    error = team.deploy("modeler", f"camunda7/{name}.bpmn", expect=422).get_json()["error"]
    assert error["element"] == element and error["line"] == line
    assert attribute in error["message"] and f"{name}.bpmn" in error["message"]


def test_send_task_with_a_topic_no_connector_serves_is_an_external_task(team: Api) -> None:
    from tests.camunda7.external import act, fetch

    team.user("worker", roles=("worker",))
    team.deploy("modeler", "camunda7/send_task_external.bpmn")
    started = team.start("staff", "sendTopic", {"to": "a@example.com"})
    [task] = fetch(team, topic="mail-worker")
    assert task["activityId"] == "sendMail" and task["variables"]["to"]["value"] == "a@example.com"
    act(team, task["id"], "complete", {"workerId": "w1", "variables": {"sent": {"value": True, "type": "Boolean"}}})
    body = instance(team, started["id"])
    assert body["status"] == "completed" and body["variables"]["sent"] is True
