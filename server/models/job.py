"""Due work (timers, service calls, event deliveries) that a worker picks up, and what instances wait for.

Due times live here rather than in the broker so that nothing is lost when a worker or the broker
dies: a poller claims due rows and hands them to Celery; a claimed row whose worker vanished is
handed out again once `locked_until` passes. A job is marked done in the same transaction as its
effect, so a job delivered twice applies once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow
from server.events import JobStatus

JOB_STATUSES = tuple(JobStatus)


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    element_id: Mapped[str | None] = mapped_column(String(255))
    # The engine task the job belongs to (a waiting timer, a started service task).
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Never loaded; it tells the unit of work to insert a new instance before its jobs.
    instance: Mapped[Any] = relationship("ProcessInstance", lazy="raise", viewonly=False)


class EventSubscription(Base):
    """A message or signal an instance waits for: what `POST /messages` and `/signals` look up."""

    __tablename__ = "event_subscription"
    __table_args__ = (Index("ix_event_subscription_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instance: Mapped[Any] = relationship("ProcessInstance", lazy="raise", viewonly=False)
