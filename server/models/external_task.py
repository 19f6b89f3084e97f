"""Camunda 7 external tasks: a service task that waits for an outside worker to fetch and lock it.

One row per waiting task, written with the engine state in the step that started the task and deleted
in the step that ends it, so a worker never sees a task that is gone. The lock lives here too: it
survives a restart of BOMS, and an expired lock is simply a row that may be fetched again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow


class ExternalTask(Base):
    __tablename__ = "external_task"
    __table_args__ = (Index("ix_external_task_topic_lock", "topic", "lock_expires_at"),)

    # The engine task's id: stable while the task waits, new when the element is entered again.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lock_expires_at: Mapped[datetime | None]
    # None until a worker reports a failure; 0 means an incident (nobody may fetch it).
    retries: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instance: Mapped[Any] = relationship("ProcessInstance", lazy="raise", viewonly=False)
