"""Service tasks end to end: deploy, start over the API, run the due jobs as a worker would,
and see the result variables and the next user task, or an incident naming the element."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server import connectors
from server.connectors import ConnectorContext
from server.models import Job, ProcessVersion
from tests.conftest import Api, run_due_jobs
from tests.connectors.conftest import LocalServer, Reply


@pytest.fixture
def team(api: Api) -> Api:
    api.user("alice", groups=("employees",))
    return api


def instance(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def jobs(app: Any, instance_id: str) -> list[Job]:
    with app.extensions["boms_db"].read() as session:
        return list(session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "service")))


def start_order_lookup(team: Api, server: LocalServer) -> str:
    team.deploy("modeler", "service/camunda_connector.bpmn")
    started = team.start("alice", "order_lookup", {"baseUrl": server.url, "orderId": 7, "quantity": 2,
                                                   "note": "rush"})
    assert started["status"] == "running"
    return started["id"]


def test_camunda_connector_result_and_next_task(app: Any, team: Api, local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(200, {"state": "confirmed"}, {"X-Served-By": "shop-1"}))
    instance_id = start_order_lookup(team, local_server)
    with app.extensions["boms_db"].read() as session:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.key == "order_lookup")).one()
        assert version.elements["fetch_order"]["service"]["connector"] == "http"
    assert local_server.seen == []  # the web request only queued the call

    assert run_due_jobs(app) == 1
    seen = local_server.requests_to("/orders/7")
    assert len(seen) == 1 and seen[0].method == "POST"
    assert seen[0].json() == {"quantity": 4, "note": "rush"}
    assert seen[0].headers["x-request-id"] == "order-7"

    body = instance(team, instance_id)
    assert body["status"] == "running"
    assert body["variables"]["httpStatus"] == 200
    assert body["variables"]["orderState"] == "confirmed"
    assert body["variables"]["echoedBy"] == "shop-1"
    assert [t["elementId"] for t in body["openTasks"]] == ["review"]
    assert [j.status for j in jobs(app, instance_id)] == ["done"]
    assert run_due_jobs(app) == 0  # nothing runs twice

    history = team.get("admin", f"/api/v1/process-instances/{instance_id}/history").get_json()
    assert "service.completed" in [e["kind"] for e in history["items"]]


def test_server_error_is_retried_until_it_succeeds(app: Any, team: Api, local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(500, "database locked"), Reply(502, "bad gateway"),
                       Reply(200, {"state": "confirmed"}))
    instance_id = start_order_lookup(team, local_server)
    run_due_jobs(app)
    assert len(local_server.requests_to("/orders/7")) == 3  # R2/PT0S: two retries
    body = instance(team, instance_id)
    assert body["status"] == "running" and body["variables"]["orderState"] == "confirmed"
    [job] = jobs(app, instance_id)
    assert (job.status, job.attempts) == ("done", 3)
    assert "HTTP 502" in (job.last_error or "")


def test_failure_after_retries_is_an_incident_and_retry_resumes(app: Any, team: Api,
                                                                 local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(500, "database locked"))
    instance_id = start_order_lookup(team, local_server)
    run_due_jobs(app)
    assert len(local_server.requests_to("/orders/7")) == 3
    body = instance(team, instance_id)
    assert body["status"] == "error"
    assert body["error"]["element"] == "fetch_order"
    assert "HTTP 500" in body["error"]["message"] and "database locked" in body["error"]["message"]
    assert body["openTasks"] == []

    local_server.reply("/orders/7", Reply(200, {"state": "confirmed"}))
    response = team.post("admin", f"/api/v1/process-instances/{instance_id}/retry")
    assert response.status_code == 200, response.get_json()
    run_due_jobs(app)
    body = instance(team, instance_id)
    assert body["status"] == "running" and body["variables"]["orderState"] == "confirmed"
    assert [t["elementId"] for t in body["openTasks"]] == ["review"]


def test_client_error_is_an_incident_without_retries(app: Any, team: Api, local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(404, {"error": "no order 7"}))
    instance_id = start_order_lookup(team, local_server)
    run_due_jobs(app)
    assert len(local_server.requests_to("/orders/7")) == 1
    body = instance(team, instance_id)
    assert body["status"] == "error" and body["error"]["element"] == "fetch_order"
    assert "HTTP 404" in body["error"]["message"]


def test_missing_variable_is_an_incident_naming_the_parameter(app: Any, team: Api,
                                                              local_server: LocalServer) -> None:
    team.deploy("modeler", "service/camunda_connector.bpmn")
    instance_id = team.start("alice", "order_lookup", {"baseUrl": local_server.url, "orderId": 7})["id"]
    run_due_jobs(app)
    body = instance(team, instance_id)
    assert body["status"] == "error"
    assert "parameter 'body'" in body["error"]["message"] and "quantity" in body["error"]["message"]
    assert local_server.seen == []


def test_spiff_operator_and_camunda_external_task(app: Any, team: Api, local_server: LocalServer) -> None:
    local_server.reply("/customers/c9", Reply(200, {"name": "Ada"}))
    local_server.reply("/stock", Reply(200, {"available": 3}))
    team.deploy("modeler", "service/spiff_operator.bpmn", "service/camunda_external.bpmn")
    spiff = team.start("alice", "customer_lookup", {"baseUrl": local_server.url, "customerId": "c9"})["id"]
    external = team.start("alice", "stock_check", {"baseUrl": local_server.url, "sku": "A-1"})["id"]
    assert run_due_jobs(app) == 2

    body = instance(team, spiff)
    assert body["variables"]["customer_response"]["status"] == 200
    assert body["variables"]["customer_response"]["body"] == {"name": "Ada"}
    assert [t["elementId"] for t in body["openTasks"]] == ["call_customer"]
    assert local_server.requests_to("/customers/c9")[0].query == {"expand": ["address"]}

    body = instance(team, external)
    assert body["variables"]["inStock"] is True and body["variables"]["stockStatus"] == 200
    assert [t["elementId"] for t in body["openTasks"]] == ["pack"]
    assert local_server.requests_to("/stock")[0].query == {"sku": ["A-1"]}


EXTERNAL_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="with_custom_connector" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call" camunda:type="external" camunda:topic="test-cancel">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="after"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_instance_cancelled_during_the_call(app: Any, team: Api, tmp_path: Any) -> None:
    """The call runs outside any transaction (the cancel below would wait on SQLite's writer lock
    otherwise); its result, arriving for a cancelled instance, is dropped and the job still ends."""
    calls: list[str] = []

    @connectors.register("test-cancel", parameters=set())
    def cancel_meanwhile(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
        calls.append(context.element_id)
        response = team.post("admin", f"/api/v1/process-instances/{context.instance_id}/cancel")
        assert response.status_code == 200, response.get_json()
        return {"late": True}

    try:
        path = tmp_path / "custom_connector.bpmn"
        path.write_text(EXTERNAL_TASK)
        team.deploy("modeler", path)
        instance_id = team.start("alice", "with_custom_connector")["id"]
        run_due_jobs(app)
    finally:
        connectors._REGISTRY.pop("test-cancel")
    assert calls == ["call"]
    body = instance(team, instance_id)
    assert body["status"] == "cancelled" and body["error"] is None
    assert "late" not in body["variables"] and body["openTasks"] == []
    assert [j.status for j in jobs(app, instance_id)] == ["done"]


@pytest.mark.parametrize(("file_name", "message"), [
    ("bad_unknown_connector.bpmn", "unknown connector 'soap-http-connector'"),
    ("bad_missing_url.bpmn", "needs the parameter 'url'"),
    ("bad_expression.bpmn", "parameter 'url' is not a valid expression"),
    ("bad_retry_cycle.bpmn", "camunda:failedJobRetryTimeCycle"),
    ("bad_scheme.bpmn", "must start with http:// or https://"),
])
def test_deploy_rejects(team: Api, file_name: str, message: str) -> None:
    response = team.deploy("modeler", f"service/{file_name}", expect=422)
    error = response.get_json()["error"]
    assert error["code"] == "deploy_error"
    assert message in error["message"]
    assert (error["file"], error["element"]) == (file_name, "call") and isinstance(error["line"], int)
    definitions = team.get("modeler", "/api/v1/process-definitions").get_json()["items"]
    assert all(d["key"] != "bad_service" for d in definitions)  # nothing half-written
