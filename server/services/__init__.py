"""The workflow engine's use cases. `init_app` plugs the workflow engine's background work into the app."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.plugins import plugins_of

JOBS_TASK = "boms.jobs.run"
AUDIT_VERIFY_TASK = "boms.audit.verify"


def init_app(app: Flask) -> None:
    """Job kinds of timers, messages, signals and service tasks, and the Celery tasks that run jobs."""
    from server.audit import subscribe
    from server.services import messages, service_tasks, task_deadlines, timers

    plugins = plugins_of(app)
    plugins.add_job("timer", timers.fire_timer, batch=True)
    plugins.add_job("timer_start", timers.fire_start_timer, batch=True)
    plugins.add_job("message", messages.route_message)
    plugins.add_job("signal", messages.route_signal)
    plugins.add_job("service", service_tasks.run_service_job, slow=True)
    plugins.add_job(task_deadlines.KIND, task_deadlines.run_deadline)
    subscribe(app, task_deadlines.schedule)  # a step's new tasks get their reminder and timeout jobs
    plugins.add_task(JOBS_TASK, _run_jobs)
    plugins.add_task(AUDIT_VERIFY_TASK, _verify_audit)


def _run_jobs(app: Flask, job_ids: list[int]) -> int:
    """Run claimed jobs; a job already finished by an earlier delivery is skipped."""
    from server.services.jobs import run_jobs

    return run_jobs(app, job_ids)


def _verify_audit(app: Flask) -> dict[str, Any]:
    """Verify the audit chain off the request path (the admin UI's button may queue it)."""
    from server.services.audit import verify

    with app.extensions["boms_db"].read() as session:
        return verify(session).to_dict()
