"""Timer jobs: timers inside instances, and timer start events that start new instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db import utcnow
from server.engine.cache import specs
from server.engine.starts import first_due, next_due, triggers
from server.events import LIVE_STATUSES, InstanceStatus, JobStatus
from server.models import Job, ProcessVersion
from server.services.job_events import publish_job_event
from server.services.jobs import JobContext


def schedule_start_timers(session: Session, version: ProcessVersion, decision_xmls: list[str]) -> int:
    """On deploy: the new latest version's timer start events replace those of earlier versions."""
    session.execute(update(Job).where(Job.kind == "timer_start", Job.status.in_((JobStatus.PENDING, JobStatus.FAILED)),
                                      Job.payload["key"].as_string() == version.key)
                    .values(status=JobStatus.CANCELLED))
    loaded = specs.get(version, lambda: decision_xmls)
    now = utcnow()
    count = 0
    for trigger in triggers(loaded.spec):
        if trigger.kind != "timer":
            continue
        first = first_due(trigger, now)
        if first is None:
            continue
        due, cycle = first
        session.add(Job(kind="timer_start", element_id=trigger.element_id, due_at=due, status=JobStatus.PENDING,
                        attempts=0, created_at=now,
                        payload={"key": version.key, "versionId": version.id, "cycle": cycle}))
        count += 1
    return count


def _lateness(ctx: JobContext) -> dict[str, object]:
    if ctx.due_at is None:
        return {}
    return {"dueAt": ctx.due_at.isoformat(), "lateSeconds": round((utcnow() - ctx.due_at).total_seconds(), 3)}


def fire_timer(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        instance = ctx.runner.lock_instance(session, ctx.instance_id or "")
        if instance.status == InstanceStatus.SUSPENDED:
            # Resuming the instance makes the job pending again; it fires then, once.
            session.execute(update(Job).where(Job.id == ctx.job_id).values(status=JobStatus.SUSPENDED))
            return
        if ctx.finish(session) and instance.status in LIVE_STATUSES:
            publish_job_event(session, ctx, "timer.fired", **_lateness(ctx))
            ctx.runner.fire_timers(session, instance)


def fire_start_timer(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        version = session.get(ProcessVersion, ctx.payload["versionId"])
        job = session.get(Job, ctx.job_id)
        if not ctx.finish(session) or version is None or job is None:
            return
        publish_job_event(session, ctx, "timer.fired", key=version.key, versionId=version.id, **_lateness(ctx))
        ctx.runner.start_at_event(session, version, ctx.element_id or "", {}, None, "system:timer")
        following = next_due(job.due_at, ctx.payload.get("cycle") or {}, utcnow())
        if following is not None and version.is_latest:
            due, cycle = following
            session.add(Job(kind="timer_start", element_id=ctx.element_id, due_at=due, status=JobStatus.PENDING,
                            attempts=0, created_at=utcnow(), payload={**ctx.payload, "cycle": cycle}))


def pending_start_timers(session: Session, key: str) -> list[datetime]:
    rows = session.scalars(select(Job.due_at).where(Job.kind == "timer_start", Job.status == JobStatus.PENDING,
                                                    Job.payload["key"].as_string() == key))
    return sorted(rows)
