"""What background jobs do is in the audit history as events of its own, once, in the job's transaction."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import run_due_jobs
from tests.connectors.conftest import LocalServer, Reply, local_server  # noqa: F401 - the fixture


def _history(api: Any, instance_id: str) -> list[dict[str, Any]]:
    return api.get("auditor", f"/api/v1/process-instances/{instance_id}/history").get_json()["items"]


def test_a_fired_timer_is_an_event_of_its_own_once(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "events/timer_catch.bpmn")
    instance = api.start("erin", "timer_catch", {"delay": "PT1S"})
    time.sleep(1.1)
    assert run_due_jobs(api.app) == 1
    assert run_due_jobs(api.app) == 0
    history = _history(api, instance["id"])
    [fired] = [e for e in history if e["kind"] == "timer.fired"]
    assert fired["elementId"] == "wait" and fired["actor"] == "system:timer"
    assert fired["data"]["lateSeconds"] >= 0 and fired["data"]["dueAt"]
    kinds = [e["kind"] for e in history]
    assert kinds.index("timer.fired") < len(kinds) - 1 - kinds[::-1].index("task.created")  # before its effect
    assert api.get("auditor", "/api/v1/audit/verify").get_json()["ok"] is True


def test_a_service_call_start_and_finish_are_events(api: Any, local_server: LocalServer) -> None:  # noqa: F811
    api.user("alice", groups=("employees",))
    local_server.reply("/orders/7", Reply(200, {"state": "confirmed"}))
    api.deploy("modeler", "service/camunda_connector.bpmn")
    instance = api.start("alice", "order_lookup", {"baseUrl": local_server.url, "quantity": 1, "note": None,
                                                    "orderId": 7})["id"]
    run_due_jobs(api.app)
    history = [e for e in _history(api, instance) if e["kind"].startswith("service.call")]
    assert [e["kind"] for e in history] == ["service.call_started", "service.call_finished"]
    assert all(e["elementId"] == "fetch_order" and e["data"]["connector"] for e in history)
    assert history[1]["data"]["seconds"] >= 0


def test_a_routed_message_is_in_the_history_of_the_instance_that_threw_it(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "events/order_start.bpmn", "events/payment.bpmn")
    api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey="ORD-9")
    response = api.post("admin", "/api/v1/messages", json={"name": "order_placed", "businessKey": "ORD-9"})
    [order] = response.get_json()["started"]
    [confirm] = api.get("admin", f"/api/v1/process-instances/{order}").get_json()["openTasks"]
    assert api.post("erin", f"/api/v1/tasks/{confirm['id']}/complete", json={"variables": {}}).status_code == 200
    run_due_jobs(api.app)
    [routed] = [e for e in _history(api, order) if e["kind"] == "message.routed"]
    assert routed["actor"] == "system:message" and routed["data"]["businessKey"] == "ORD-9"
