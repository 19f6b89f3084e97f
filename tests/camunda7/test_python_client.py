"""Camunda's official Python worker (PyPI camunda-external-task-client-python3), unchanged, against BOMS over
HTTP: fetch, complete with variables, fail with retries down to an incident, a BPMN error caught by the
boundary event. Each round is the worker's own `fetch_and_execute` (what its `subscribe` loop repeats)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.camunda7.conftest import instance, open_by_element
from tests.camunda7.live import serving
from tests.conftest import Api

worker_module = pytest.importorskip("camunda.external_task.external_task_worker")


@pytest.fixture
def live(team: Api, app: Any) -> Any:
    team.user("worker", roles=("worker",))
    team.deploy("modeler", "camunda7/external_tasks.bpmn")
    with serving(app) as base:
        yield base


def _worker(team: Api, base: str, auth: str = "bearer") -> Any:
    config: dict[str, Any] = {"maxTasks": 5, "lockDuration": 10_000, "asyncResponseTimeout": 500,
                              "sleepSeconds": 0, "retries": 2, "retryTimeout": 0}
    if auth == "bearer":
        config["auth_bearer"] = {"access_token": team.tokens["worker"]}
    else:
        config["auth_basic"] = {"username": "worker", "password": team.tokens["worker"]}
    return worker_module.ExternalTaskWorker("py-worker", base_url=f"{base}/engine-rest", config=config)


def test_official_python_worker_completes_with_variables(team: Api, live: str) -> None:
    started = team.start("staff", "payment", {"amount": 7})
    seen: list[Any] = []

    def handle(task: Any) -> Any:
        seen.append((task.get_variable("amountCents"), task.get_extension_property("gateway")))
        return task.complete({"receipt": "R-7", "charged": task.get_variable("amountCents")})

    _worker(team, live, auth="basic").fetch_and_execute("charge-card", handle)
    assert seen == [(700, "stripe")]
    body = instance(team, started["id"])
    assert body["status"] == "completed" and body["variables"]["receipt"] == "R-7"
    assert body["variables"]["charged"] == 700


def test_official_python_worker_failures_and_bpmn_error(team: Api, live: str) -> None:
    failing = team.start("staff", "payment", {"amount": 1}, businessKey="fail")
    declined = team.start("staff", "payment", {"amount": 2}, businessKey="decline")

    def handle(task: Any) -> Any:
        if task.get_business_key() == "decline":
            return task.bpmn_error("CARD_DECLINED", "card expired", {"reason": "expired"})
        return task.failure("gateway down", "trace...", max_retries=2, retry_timeout=0)

    worker = _worker(team, live)
    for _ in range(3):  # retries 2, then 1, then 0: an incident
        worker.fetch_and_execute("charge-card", handle)
    body = instance(team, failing["id"])
    assert body["status"] == "error" and "gateway down" in body["error"]["message"]
    [fix] = open_by_element(team, declined["id"])["fixPayment"]
    assert fix["name"] == "Fix payment"
    assert instance(team, declined["id"])["variables"]["reason"] == "expired"
