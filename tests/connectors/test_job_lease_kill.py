"""Job leases against a real kill -9: a `boms worker` process over Redis dies in the middle of a service
call, and another worker finishes the job within one lease (30 s), not the poller's 300 s claim."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from server.db import utcnow
from server.models import Job
from server.services.job_lease import LEASE_SECONDS, Heartbeat, take
from server.worker import make_celery, start_poller
from tests.conftest import Api
from tests.connectors.conftest import LocalServer, Reply, wait_for
from tests.connectors.test_service_tasks_celery import REDIS, _redis_running

BOMS = str(Path(sys.executable).with_name("boms"))


def _job(app: Any, instance_id: str) -> Job:
    with app.extensions["boms_db"].read() as session:
        return session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "service")).one()


def test_a_live_worker_renews_its_lease_and_a_duplicate_delivery_is_not_run(app: Any, api: Api,
                                                                            local_server: LocalServer) -> None:
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "service/camunda_connector.bpmn")
    instance = api.start("alice", "order_lookup", {"baseUrl": local_server.url, "quantity": 1, "note": None,
                                                    "orderId": 7})["id"]
    database = app.extensions["boms_db"]
    job_id = _job(app, instance).id
    assert take(database, [job_id]) == []  # pending: nobody claimed it, so it is not a worker's to take
    with database.write() as session:
        session.get(Job, job_id).status = "queued"  # type: ignore[union-attr]
    assert take(database, [job_id]) == [job_id]
    assert take(database, [job_id]) == []  # a second delivery while the first holds the lease
    first = _job(app, instance).locked_until
    assert first is not None and first <= utcnow() + timedelta(seconds=LEASE_SECONDS)
    with Heartbeat(database, [job_id], interval=0.05) as beat:
        assert wait_for(lambda: beat.beats >= 2, seconds=5)
    assert _job(app, instance).locked_until > first  # type: ignore[operator]


@pytest.fixture
def redis_queue() -> str:
    if not _redis_running():
        if os.environ.get("BOMS_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379 (BOMS_REQUIRE_REDIS=1: CI must test it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379 (this test needs a real broker)")
    return f"boms-test-{uuid4().hex}"  # a queue of its own: other runs share the Redis server


@pytest.fixture
def workers(app: Any, redis_queue: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:  # each in its own session: the group holds the prefork children too
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _start_worker(app: Any, queue: str, started: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    config = app.config["BOMS"]
    env = {**os.environ, "BOMS_DATABASE_URL": config.database_url,
           "BOMS_BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
           "BOMS_INSTANCE_PATH": str(config.instance_path), "BOMS_SECRET_KEY": uuid4().hex + uuid4().hex}
    log = (config.instance_path / f"worker-{len(started)}.log").open("wb")
    process = subprocess.Popen([BOMS, "worker", "--queue", queue, "--concurrency", "1"], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started.append(process)
    return process


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_job_of_a_worker_killed_mid_call_runs_again_within_a_lease(app: Any, api: Api, local_server: LocalServer,
                                                                     redis_queue: str, workers: list[Any]) -> None:
    api.user("alice", groups=("employees",))
    # The first call hangs (the worker dies in it), the second answers at once.
    local_server.reply("/orders/7", Reply(200, {"state": "late"}, delay=60), Reply(200, {"state": "confirmed"}))
    api.deploy("modeler", "service/camunda_connector.bpmn")
    celery = make_celery(app, broker_url=f"redis://{REDIS[0]}:{REDIS[1]}/0")
    celery.conf.task_default_queue = redis_queue
    doomed = _start_worker(app, redis_queue, workers)
    thread, stop = start_poller(celery, app)
    try:
        instance = api.start("alice", "order_lookup", {"baseUrl": local_server.url, "quantity": 1, "note": None,
                                                        "orderId": 7})["id"]
        assert wait_for(lambda: len(local_server.requests_to("/orders/7")) == 1, seconds=60), "no worker called"
        os.killpg(doomed.pid, signal.SIGKILL)
        killed = time.monotonic()
        doomed.wait(timeout=10)
        _start_worker(app, redis_queue, workers)
        assert wait_for(lambda: _job(app, instance).status == "done", seconds=45), \
            f"the job was not run again within 45 s of the kill: {_job(app, instance).status}"
        recovered = time.monotonic() - killed
    finally:
        stop.set()
        thread.join(timeout=5)
    print(f"recovery after kill -9 of the worker: {recovered:.1f} s")
    assert len(local_server.requests_to("/orders/7")) == 2
    detail = api.get("admin", f"/api/v1/process-instances/{instance}").get_json()
    assert [t["elementId"] for t in detail["openTasks"]] == ["review"]
    assert detail["variables"]["orderState"] == "confirmed"
