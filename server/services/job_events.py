"""The audit events of what background jobs do (a timer fired, a service call, a message routed).

Each is published in the job's own transaction, so an event is in the history exactly when the job's
effect is: a rolled-back or redelivered run leaves none behind and adds no second one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.services.jobs import JobContext

ACTORS = {"timer": "system:timer", "timer_start": "system:timer", "message": "system:message",
          "signal": "system:signal", "service": "system"}


def publish_job_event(session: Session, ctx: JobContext, kind: str, **data: Any) -> None:
    # A routed message belongs to the history of the instance that threw it.
    instance_id = ctx.instance_id or ctx.payload.get("from")
    subject = {} if instance_id else {"subject_type": "job", "subject_id": str(ctx.job_id)}
    publish(session, Event(kind, ACTORS.get(ctx.kind, "system"), instance_id=instance_id,
                           task_id=ctx.task_id, element_id=ctx.element_id,
                           data={"jobId": ctx.job_id, "attempt": ctx.attempts, **data}, **subject))
