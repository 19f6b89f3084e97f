"""`/metrics` in Prometheus's text format (prometheus-client).

Request latency is a histogram labelled by Flask endpoint (the route's name, not the URL: ids in
URLs would make a label per instance), method and status. The workflow gauges are read from the
projection tables when Prometheus scrapes, so every web process reports the same figures. Access:
a bearer token (`BOMS_METRICS_TOKEN`) or, without one, client addresses in `BOMS_METRICS_ALLOW`
(comma-separated addresses or networks; loopback only by default).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from server.db import DATABASE_EXTENSION, Database, utcnow
from server.models.instance import ProcessInstance
from server.models.job import Job

log = logging.getLogger(__name__)
REGISTRY_EXTENSION = "boms_metrics"
DEFAULT_ALLOW = "127.0.0.1/32,::1/128"
LATE_AFTER = timedelta(seconds=60)  # a due job not picked up within this is late, not merely due
WAITING_JOBS = ("pending", "queued")
# Any other method a client invents shares one label: labels must stay a small, fixed set.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class WorkflowCollector(Collector):
    """Instances by status, jobs due and late, open incidents: counted at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.db.read() as session:
            by_status = session.execute(
                select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)).all()
            due = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_(WAITING_JOBS), Job.due_at <= now)) or 0
            late = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_(WAITING_JOBS), Job.due_at <= now - LATE_AFTER)) or 0
            incidents = session.scalar(select(func.count()).select_from(ProcessInstance).where(
                ProcessInstance.error.is_not(None), ProcessInstance.status == "error")) or 0
        instances = GaugeMetricFamily("boms_instances", "Process instances by status", labels=["status"])
        for status, count in by_status:
            instances.add_metric([status], count)
        yield instances
        yield GaugeMetricFamily("boms_jobs_due", "Jobs due now, waiting for a worker", value=due)
        yield GaugeMetricFamily("boms_jobs_late", f"Jobs due more than {LATE_AFTER.seconds} s ago", value=late)
        yield GaugeMetricFamily("boms_incidents_open", "Instances stopped by an incident", value=incidents)


def _allowed(address: str | None, allow: str) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    try:
        networks = [ipaddress.ip_network(part.strip(), strict=False) for part in allow.split(",") if part.strip()]
    except ValueError as exc:
        # A typo in the setting must not open the endpoint, nor turn every scrape into a 500.
        log.error("BOMS_METRICS_ALLOW is not a list of addresses or networks (%s): refusing /metrics", exc)
        return False
    return any(client in network for network in networks)


def _setting(app: Flask, name: str, default: str = "") -> str:
    # app.config first (tests, embedding programs), then the environment.
    return str(app.config.get(name) or os.environ.get(name, default))


def check_access(app: Flask) -> None:
    token = _setting(app, "BOMS_METRICS_TOKEN")
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(offered.encode(), token.encode()):
            abort(401)
        return
    if not _allowed(request.remote_addr, _setting(app, "BOMS_METRICS_ALLOW", DEFAULT_ALLOW)):
        abort(403)


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    latency = Histogram("boms_http_request_duration_seconds", "Time to answer an HTTP request",
                        ["endpoint", "method", "status"], registry=registry)
    registry.register(WorkflowCollector(app.extensions[DATABASE_EXTENSION]))
    app.extensions[REGISTRY_EXTENSION] = registry

    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"  # 404s share one label, whatever the URL
            method = request.method if request.method in METHODS else "other"
            latency.labels(endpoint, method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        check_access(app)
        response = Response(generate_latest(registry), headers={"Cache-Control": "no-store"})
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response
