"""/metrics: refused without the token or outside the allow-list; figures that move with the work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from server.db import DATABASE_EXTENSION, utcnow
from server.models.job import Job


def _samples(response: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_loopback_only_by_default(app: Any) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    app.config["BOMS_METRICS_ALLOW"] = "10.1.0.0/16"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 403
    app.config["BOMS_METRICS_ALLOW"] = "10.1.0.0/16, not-a-network"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403


def test_token_required_when_set(app: Any) -> None:
    app.config["BOMS_METRICS_TOKEN"] = "scrape-secret"
    client = app.test_client()
    assert client.get("/metrics").status_code == 401  # even from loopback
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"},
                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert ok.status_code == 200


def test_request_latency_counts_by_endpoint_and_status(app: Any) -> None:
    client = app.test_client()
    key = ("boms_http_request_duration_seconds_count", (("endpoint", "healthz"), ("method", "GET"), ("status", "200")))
    before = _samples(client.get("/metrics")).get(key, 0)
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page/123")
    after = _samples(client.get("/metrics"))
    assert after[key] == before + 3
    assert after[("boms_http_request_duration_seconds_count",
                  (("endpoint", "unmatched"), ("method", "GET"), ("status", "404")))] == 1


def test_workflow_gauges(api: Any) -> None:
    api.user("alice", groups=("employees",), manager="admin")
    api.deploy("admin", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    api.start("alice", "purchase_request", {"item": "Laptop", "amount": 100, "reason": "old one broke"})
    with api.app.extensions[DATABASE_EXTENSION].write() as session:
        session.add(Job(kind="timer", due_at=utcnow() - timedelta(minutes=5), status="pending"))
        session.add(Job(kind="timer", due_at=utcnow() - timedelta(seconds=1), status="queued"))
        session.add(Job(kind="timer", due_at=utcnow() + timedelta(hours=1), status="pending"))
    found = _samples(api.app.test_client().get("/metrics"))
    assert found[("boms_instances", (("status", "running"),))] == 1
    assert found[("boms_jobs_due", ())] == 2
    assert found[("boms_jobs_late", ())] == 1
    assert found[("boms_incidents_open", ())] == 0
