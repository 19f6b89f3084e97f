"""Service tasks through real Celery: the poller hands the due job to a worker over Redis, the worker
calls the local HTTP server, and the instance moves on (or gets an incident) without any request."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from celery.contrib.testing.worker import start_worker

from server.worker import make_celery, start_poller
from tests.conftest import Api
from tests.connectors.conftest import LocalServer, Reply, wait_for

REDIS = ("127.0.0.1", 6379)


def _redis_running() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def celery_over_redis(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not _redis_running():
        if os.environ.get("BOMS_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379 (BOMS_REQUIRE_REDIS=1: CI must test it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379 (this test needs a real broker)")
    celery = make_celery(app, broker_url=f"redis://{REDIS[0]}:{REDIS[1]}/0")
    # A queue of its own: other test runs on this machine share the Redis server.
    celery.conf.task_default_queue = f"boms-test-{uuid4().hex}"
    with start_worker(celery, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        thread, stop = start_poller(celery, app)
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)


def state(api: Api, instance_id: str) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()


def test_worker_calls_the_service_and_records_incidents(app: Any, api: Api, local_server: LocalServer,
                                                        celery_over_redis: None) -> None:
    api.user("alice", groups=("employees",))
    local_server.reply("/orders/7", Reply(200, {"state": "confirmed"}))
    local_server.reply("/orders/8", Reply(500, "database locked"))
    api.deploy("modeler", "service/camunda_connector.bpmn")
    variables = {"baseUrl": local_server.url, "quantity": 1, "note": None}
    ok = api.start("alice", "order_lookup", {**variables, "orderId": 7})["id"]
    failing = api.start("alice", "order_lookup", {**variables, "orderId": 8})["id"]

    assert wait_for(lambda: state(api, ok)["openTasks"] != [], seconds=20)
    body = state(api, ok)
    assert body["variables"]["orderState"] == "confirmed" and body["openTasks"][0]["elementId"] == "review"

    assert wait_for(lambda: state(api, failing)["status"] == "error", seconds=20)
    assert len(local_server.requests_to("/orders/8")) == 3  # the first attempt and two retries
    assert state(api, failing)["error"]["element"] == "fetch_order"
