"""Process instances: the engine state plus the projection that list pages read."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, case, cast, func
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.db import Base, utcnow
from server.events import InstanceStatus
from server.models.process import ProcessVersion

STATUSES = tuple(InstanceStatus)
# Variable names end up in a JSON path; BPMN/JEXL names are identifiers, so nothing else is accepted.
VARIABLE_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_key_status", "process_key", "status"),
        Index("ix_process_instance_started_at", "started_at"),
        Index("ix_process_instance_started_by_status_id", "started_by", "status", "id"),  # inbox: started tab
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str | None] = mapped_column(String(150), index=True)
    ended_at: Mapped[datetime | None]
    # Optimistic check on top of the row lock: a lost update is impossible even if a lock is skipped.
    lock_version: Mapped[int] = mapped_column(default=0)
    # The engine's working tree only: live tasks and their parents, never the history.
    state: Mapped[str] = mapped_column(Text, default="")
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active_elements: Mapped[list[Any]] = mapped_column(default=list)
    visited_elements: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


def variable_text(session: Session, name: str) -> ColumnElement[Any]:
    """The instance variable `name` as text, the same on both databases (PostgreSQL's `->>`):
    numbers as digits, strings unquoted, booleans as true/false."""
    extracted = ProcessInstance.variables[name].as_string()
    if session.get_bind().dialect.name != "sqlite":
        return extracted
    # SQLite's JSON_EXTRACT returns SQL values: numbers must become text to equal the typed value,
    # and booleans come back as 1/0, so their JSON type names them.
    json_type = func.json_type(ProcessInstance.variables, f"$.{name}")
    return case((json_type.in_(["true", "false"]), json_type), else_=cast(extracted, String))
