"""External tasks (Camunda 7's protocol at /engine-rest): a service task with camunda:type="external" and a
topic no BOMS connector serves waits for a worker to fetch, lock and complete it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from server.db import utcnow
from server.models import ExternalTask
from tests.camunda7.conftest import complete, instance, open_by_element
from tests.camunda7.external import BASE, act, fetch
from tests.conftest import Api


@pytest.fixture
def workers(team: Api) -> Api:
    team.user("worker", roles=("worker",))
    team.user("worker2", roles=("worker",))
    team.deploy("modeler", "camunda7/external_tasks.bpmn")
    return team


def test_fetch_lock_and_complete_with_typed_variables(workers: Api) -> None:
    started = workers.start("staff", "payment", {"amount": 12})
    [task] = fetch(workers, variables=["amount", "amountCents"], includeExtensionProperties=True)
    assert task["topicName"] == "charge-card" and task["activityId"] == "charge" and task["workerId"] == "w1"
    assert task["processInstanceId"] == started["id"] and task["extensionProperties"] == {"gateway": "stripe"}
    assert task["variables"] == {"amount": {"type": "Integer", "value": 12, "valueInfo": {}},
                                 "amountCents": {"type": "Integer", "value": 1200, "valueInfo": {}}}
    assert fetch(workers, worker="w2") == []  # locked: nobody else gets it
    act(workers, task["id"], "complete", {"workerId": "w2", "variables": {}}, expect=400)  # not w2's lock
    act(workers, task["id"], "complete", {"workerId": "w1", "variables": {
        "receipt": {"value": "R-1", "type": "String"}, "meta": {"value": '{"n": [1, 2]}', "type": "Json"}}})
    body = instance(workers, started["id"])
    assert body["status"] == "completed"
    assert body["variables"]["receipt"] == "R-1" and body["variables"]["meta"] == {"n": [1, 2]}
    assert workers.get("worker", f"{BASE}/{task['id']}").status_code == 404


def test_failure_with_retries_then_incident_and_retry(workers: Api, app: object) -> None:
    started = workers.start("staff", "payment", {"amount": 1})
    [task] = fetch(workers)
    act(workers, task["id"], "failure", {"workerId": "w1", "errorMessage": "gateway down", "retries": 2,
                                         "retryTimeout": 60_000})
    assert fetch(workers) == []  # not before retryTimeout
    with app.extensions["boms_db"].write() as session:  # the timeout passes
        session.get(ExternalTask, task["id"]).lock_expires_at = utcnow() - timedelta(seconds=1)
    [again] = fetch(workers, worker="w2")
    assert again["id"] == task["id"] and again["retries"] == 2 and again["errorMessage"] == "gateway down"
    act(workers, task["id"], "failure", {"workerId": "w2", "errorMessage": "still down", "retries": 0})
    body = instance(workers, started["id"])
    assert body["status"] == "error" and "still down" in body["error"]["message"]
    assert body["error"]["element"] == "charge"
    assert fetch(workers) == []  # out of retries: nobody gets it
    listed = workers.get("worker", f"{BASE}?noRetriesLeft=true").get_json()
    assert [t["id"] for t in listed] == [task["id"]]
    assert workers.post("admin", f"/api/v1/process-instances/{started['id']}/retry").status_code == 200
    [third] = fetch(workers)
    act(workers, third["id"], "complete", {"workerId": "w1"})
    assert instance(workers, started["id"])["status"] == "completed"


def test_bpmn_error_is_caught_by_the_boundary_event(workers: Api) -> None:
    started = workers.start("staff", "payment", {"amount": 5})
    [task] = fetch(workers)
    act(workers, task["id"], "bpmnError", {"workerId": "w1", "errorCode": "CARD_DECLINED",
                                           "variables": {"reason": {"value": "expired", "type": "String"}}})
    [fix] = open_by_element(workers, started["id"])["fixPayment"]
    complete(workers, "staff", fix["id"])
    body = instance(workers, started["id"])
    assert body["status"] == "completed" and "unpaid" in body["visitedElements"]
    assert "paid" not in body["visitedElements"]
    assert body["variables"]["reason"] == "expired"


def test_bpmn_error_nobody_catches_is_an_incident(workers: Api) -> None:
    started = workers.start("staff", "payment", {"amount": 5})
    [task] = fetch(workers)
    act(workers, task["id"], "bpmnError", {"workerId": "w1", "errorCode": "OTHER"})
    body = instance(workers, started["id"])
    assert body["status"] == "error" and "OTHER" in body["error"]["message"]


def test_expired_lock_is_refetchable_and_extend_and_unlock(workers: Api, app: object) -> None:
    workers.start("staff", "payment", {"amount": 5})
    [task] = fetch(workers)
    act(workers, task["id"], "extendLock", {"workerId": "w2", "newDuration": 1000}, expect=400)
    act(workers, task["id"], "extendLock", {"workerId": "w1", "newDuration": 120_000})
    act(workers, task["id"], "unlock", {})
    [again] = fetch(workers, worker="w2")
    with app.extensions["boms_db"].write() as session:  # w2's lock expires
        session.get(ExternalTask, again["id"]).lock_expires_at = utcnow() - timedelta(seconds=1)
    act(workers, task["id"], "extendLock", {"workerId": "w2", "newDuration": 1000}, expect=400)
    [third] = fetch(workers, worker="w3")
    assert third["id"] == task["id"] and third["workerId"] == "w3"
    act(workers, task["id"], "complete", {"workerId": "w2"}, expect=400)  # w2 lost it
    act(workers, task["id"], "complete", {"workerId": "w3"})


def test_auth_basic_and_roles(workers: Api) -> None:
    workers.start("staff", "payment", {"amount": 5})
    body = {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "charge-card", "lockDuration": 1000}]}
    assert workers.client.post(f"{BASE}/fetchAndLock", json=body).status_code == 401
    assert workers.post("staff", f"{BASE}/fetchAndLock", json=body).status_code == 403
    basic = base64.b64encode(f"worker:{workers.tokens['worker']}".encode()).decode()
    response = workers.client.post(f"{BASE}/fetchAndLock", json=body, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200 and len(response.get_json()) == 1
    wrong = base64.b64encode(f"staff:{workers.tokens['worker']}".encode()).decode()
    response = workers.client.post(f"{BASE}/fetchAndLock", json=body, headers={"Authorization": f"Basic {wrong}"})
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t"}]}, "topics.0.lockDuration"),
    ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 1, "tenantIdIn": ["a"]}]},
     "topics.0.tenantIdIn"),
    ({"maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 1}]}, "workerId"),
    ({"workerId": "w", "maxTasks": 1, "topics": []}, "topics"),
])
def test_bad_fetch_requests_name_the_field(workers: Api, body: dict, field: str) -> None:
    response = workers.post("worker", f"{BASE}/fetchAndLock", json=body)
    assert response.status_code == 400, response.get_json()
    payload = response.get_json()
    assert payload["error"]["field"] == field and payload["type"] == "InvalidRequestException"


def test_engine_rest_start_and_variables(workers: Api) -> None:
    response = workers.post("staff", "/engine-rest/process-definition/key/payment/start", json={
        "businessKey": "order-9", "variables": {"amount": {"value": 3, "type": "Integer"}},
        "withVariablesInReturn": True})
    assert response.status_code == 200, response.get_json()
    started = response.get_json()
    assert started["businessKey"] == "order-9" and started["definitionId"].startswith("payment:1:")
    assert started["variables"]["amount"] == {"type": "Integer", "value": 3, "valueInfo": {}}
    variables = workers.get("staff", f"/engine-rest/process-instance/{started['id']}/variables").get_json()
    assert variables["amount"]["value"] == 3
    bad = workers.post("staff", "/engine-rest/process-definition/key/payment/start",
                       json={"variables": {"amount": {"value": "x", "type": "Integer"}}})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "variables.amount"
    assert workers.get("kermit_0", f"/engine-rest/process-instance/{started['id']}/variables").status_code == 403


def test_cancelled_instance_drops_its_external_task(workers: Api) -> None:
    started = workers.start("staff", "payment", {"amount": 5})
    [task] = fetch(workers)
    assert workers.post("admin", f"/api/v1/process-instances/{started['id']}/cancel", json={}).status_code == 200
    act(workers, task["id"], "complete", {"workerId": "w1"}, expect=404)
