"""The plug-in registry: what an engine registers in init_app is what the job runner, the Celery app and
the OpenAPI document use (server/plugins.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import current_app

from server.db import utcnow
from server.models import Job
from server.plugins import RegistryError, plugins_of
from server.services.jobs import JobContext
from server.worker import celery_app, make_celery
from tests.conftest import run_due_jobs


def _add_job(app: Any, kind: str) -> int:
    now = utcnow()
    with app.extensions["boms_db"].write() as session:
        job = Job(instance_id=None, kind=kind, element_id=None, payload={"n": 7}, due_at=now, status="pending",
                  attempts=0, created_at=now)
        session.add(job)
        session.flush()
        return job.id


def test_the_job_runner_dispatches_a_kind_an_engine_registered(app: Any) -> None:
    seen: list[tuple[int, dict[str, Any]]] = []

    def probe(ctx: JobContext) -> None:
        with ctx.transaction() as session:
            if ctx.finish(session):
                seen.append((ctx.job_id, ctx.payload))

    plugins_of(app).add_job("probe", probe, batch=True)
    job_id = _add_job(app, "probe")
    assert run_due_jobs(app) == 1
    assert seen == [(job_id, {"n": 7})]
    with app.extensions["boms_db"].read() as session:
        assert session.get(Job, job_id).status == "done"


def test_a_job_of_a_kind_nobody_registered_fails_naming_the_kind(app: Any) -> None:
    job_id = _add_job(app, "nobody")
    assert run_due_jobs(app) == 0
    with app.extensions["boms_db"].read() as session:
        job = session.get(Job, job_id)
        assert job.status == "failed" and "nobody" in job.last_error


def test_registering_a_name_twice_is_refused(app: Any) -> None:
    plugins = plugins_of(app)
    with pytest.raises(RegistryError, match="timer"):
        plugins.add_job("timer", lambda ctx: None)
    with pytest.raises(RegistryError, match="boms.jobs.run"):
        plugins.add_task("boms.jobs.run", lambda flask_app: None)


def test_the_workflow_engine_registers_its_jobs_tasks_and_sweeps(app: Any) -> None:
    plugins = plugins_of(app)
    assert set(plugins.jobs) == {"timer", "timer_start", "message", "signal", "service", "task_deadline",
                                 "rule_run", "rule_call", "record_import"}
    assert plugins.jobs["service"].slow and plugins.jobs["timer"].batch and plugins.jobs["rule_call"].slow
    assert {"boms.jobs.run", "boms.audit.verify", "boms.notifications.deliver"} <= set(celery_app(app).tasks)
    assert {sweep.__name__ for sweep in plugins.sweeps} == {"sweep_notifications", "sweep_orphan_files",
                                                           "sweep_pending", "sweep_schedules", "sweep_statistics"}


def test_a_celery_task_runs_its_body_with_its_flask_app_in_context(app: Any) -> None:
    plugins_of(app).add_task("boms.test.probe", lambda flask_app, x: (flask_app is current_app._get_current_object(),
                                                                      x * 2))
    celery = make_celery(app)
    assert celery.tasks["boms.test.probe"].apply(args=(21,)).get() == (True, 42)


def test_an_engine_adds_paths_and_schemas_to_the_openapi_document(app: Any) -> None:
    plugins_of(app).add_openapi(lambda: {"/api/v1/probes": {"get": {"operationId": "listProbes", "responses": {}}}},
                                {"Probe": {"type": "object"}}, tags=("probes",))
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["paths"]["/api/v1/probes"]["get"]["operationId"] == "listProbes"
    assert "Probe" in doc["components"]["schemas"] and {"name": "probes"} in doc["tags"]
    assert "/api/v1/tasks/{task_id}/claim" in doc["paths"]  # the workflow engine's own parts stay
