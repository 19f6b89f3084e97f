"""Deployed process and decision definitions, one row per version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(150))
    files: Mapped[list[Any]] = mapped_column(default=list)


class DeployedVersion:
    """What every deployed definition has: a key, a version per distinct content, and who deployed it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    is_latest: Mapped[bool] = mapped_column(default=True, index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(150))


class ProcessVersion(DeployedVersion, Base):
    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    # Deferred: read only when a version is parsed into the spec cache, not on every instance action.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # The decision versions this process was deployed with: a version is reproducible.
    decision_ids: Mapped[list[Any]] = mapped_column(default=list)
    # Extra files the model references (SpiffArena form schemas), by file name.
    resources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Per element: name, kind, lane, form schema, assignment expressions (see engine.parser).
    elements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    start_form: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    candidate_starters: Mapped[list[Any]] = mapped_column(default=list)
    initiator_variable: Mapped[str | None] = mapped_column(String(255))


class DecisionVersion(DeployedVersion, Base):
    __tablename__ = "decision_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    dmn_xml: Mapped[str] = mapped_column(Text)

    deployment: Mapped[Deployment] = relationship()
