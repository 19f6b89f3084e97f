"""Messages (correlation by business key or variables, start events, throw between instances) and signals."""

from __future__ import annotations

from typing import Any

from tests.conftest import run_due_jobs


def _team(api: Any) -> None:
    api.user("erin", groups=("employees",))


def _detail(api: Any, instance: dict[str, Any]) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()


def test_message_reaches_the_instance_with_that_business_key_and_carries_variables(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/payment.bpmn")
    first = api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey="ORD-1")
    second = api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey="ORD-2")
    response = api.post("admin", "/api/v1/messages", json={
        "name": "payment_received", "businessKey": "ORD-2", "variables": {"amount": 120}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["instances"] == [second["id"]]
    after = _detail(api, second)
    assert [t["elementId"] for t in after["openTasks"]] == ["ship"] and after["variables"]["amount"] == 120
    assert "paid" in after["visitedElements"] and "stopped" not in after["visitedElements"]
    untouched = _detail(api, first)
    assert untouched["activeElements"] == ["which"] and untouched["openTasks"] == []


def test_message_by_correlation_keys_on_variables(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/receive.bpmn")
    a = api.start("erin", "receive", {"caseNo": 7})
    b = api.start("erin", "receive", {"caseNo": 8})
    response = api.post("admin", "/api/v1/messages", json={"name": "document_arrived",
                                                          "correlationKeys": {"caseNo": 8}})
    assert response.get_json()["instances"] == [b["id"]]
    assert [t["elementId"] for t in _detail(api, b)["openTasks"]] == ["file_it"]
    assert _detail(api, a)["openTasks"] == []


def test_unmatched_message_is_404_unless_allowed_and_bad_requests_are_400(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/receive.bpmn")
    api.start("erin", "receive", {"caseNo": 7})
    missing = api.post("admin", "/api/v1/messages", json={"name": "document_arrived", "businessKey": "nope"})
    assert missing.status_code == 404 and "document_arrived" in missing.get_json()["error"]["message"]
    allowed = api.post("admin", "/api/v1/messages", json={"name": "document_arrived", "businessKey": "nope",
                                                         "allowNoMatch": True})
    assert allowed.status_code == 200 and allowed.get_json()["instances"] == []
    for body in ({}, {"name": ""}, {"name": "x", "variables": [1]}, {"name": "x", "correlationKeys": "k"}):
        response = api.post("admin", "/api/v1/messages", json=body)
        assert response.status_code == 400, body
    assert api.client.post("/api/v1/messages", json={"name": "x"}).status_code == 401
    # Messages move other people's instances on: integrations send them with an admin's token.
    assert api.post("erin", "/api/v1/messages", json={"name": "document_arrived"}).status_code == 403
    assert api.post("erin", "/api/v1/signals", json={"name": "stop_everything"}).status_code == 403


def test_message_start_event_then_a_thrown_message_reaches_another_process(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/order_start.bpmn", "events/payment.bpmn")
    waiting = api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey="ORD-9")
    response = api.post("admin", "/api/v1/messages", json={"name": "order_placed", "businessKey": "ORD-9",
                                                          "variables": {"item": "desk"}})
    assert response.status_code == 200
    [started] = response.get_json()["started"]
    order = api.get("admin", f"/api/v1/process-instances/{started}").get_json()
    assert order["businessKey"] == "ORD-9" and order["variables"]["item"] == "desk"
    [confirm] = order["openTasks"]
    assert api.post("erin", f"/api/v1/tasks/{confirm['id']}/complete", json={"variables": {}}).status_code == 200
    run_due_jobs(api.app)  # the thrown message is routed by a worker
    after = _detail(api, waiting)
    assert [t["elementId"] for t in after["openTasks"]] == ["ship"] and after["variables"]["item"] == "desk"


def test_signal_is_broadcast_to_every_waiting_instance(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/payment.bpmn")
    instances = [api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey=f"B{i}") for i in range(3)]
    response = api.post("admin", "/api/v1/signals", json={"name": "stop_everything"})
    assert response.status_code == 200
    assert sorted(response.get_json()["instances"]) == sorted(i["id"] for i in instances)
    for instance in instances:
        after = _detail(api, instance)
        assert after["status"] == "completed" and "end_stopped" in after["visitedElements"]
    again = api.post("admin", "/api/v1/signals", json={"name": "stop_everything"})
    assert again.get_json()["instances"] == []


def test_event_based_gateway_timer_wins_when_nothing_arrives_and_loses_when_a_message_does(api: Any) -> None:
    import time

    from sqlalchemy import select

    from server.models import Job

    _team(api)
    api.deploy("modeler", "events/payment.bpmn")
    late = api.start("erin", "payment", {"payWithin": "PT1S"}, businessKey="LATE")
    paid = api.start("erin", "payment", {"payWithin": "PT1S"}, businessKey="PAID")
    api.post("admin", "/api/v1/messages", json={"name": "payment_received", "businessKey": "PAID"})
    time.sleep(1.1)
    run_due_jobs(api.app)
    assert _detail(api, late)["status"] == "completed" and "end_late" in _detail(api, late)["visitedElements"]
    assert [t["elementId"] for t in _detail(api, paid)["openTasks"]] == ["ship"]
    with api.app.extensions["boms_db"].read() as session:
        statuses = {j.instance_id: j.status for j in session.scalars(select(Job).where(Job.kind == "timer"))}
    assert statuses == {late["id"]: "done", paid["id"]: "cancelled"}


def test_message_and_signal_references_are_checked_at_deploy(api: Any, tmp_path: Any) -> None:
    from tests.conftest import FIXTURES

    source = (FIXTURES / "events" / "receive.bpmn").read_text()
    cases = {
        "no_ref.bpmn": (source.replace(' messageRef="msg_doc"', ""), "without a message"),
        "no_name.bpmn": (source.replace(' name="document_arrived"', ""), "has no name"),
        "dangling.bpmn": (source.replace('messageRef="msg_doc"', 'messageRef="msg_other"'), "does not define"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        error = api.deploy("modeler", path, expect=422).get_json()["error"]
        assert error["element"] == "wait_doc" and expected in error["message"] and error["line"], name
    assert api.get("admin", "/api/v1/process-definitions").get_json()["items"] == []
