"""The append-only, hash-chained history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_instance_seq", "instance_id", "seq"),
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_subject", "subject_type", "subject_id", "seq"),
        Index("ix_audit_event_chain_seq", "chain", "chain_seq", unique=True),
    )

    # The global order (server/audit.py assigns it). A gap in `chain_seq` is evidence of a deleted row.
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chain: Mapped[int] = mapped_column(server_default="1")
    chain_seq: Mapped[int] = mapped_column(server_default="0")
    # Which formula `hash` was computed with (server/audit.py): rows keep verifying after a change.
    hash_version: Mapped[int] = mapped_column(server_default="1")
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150), index=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    # What the event is about: instance, task, record, rule, dashboard, user, group, token, deployment, ...
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str | None] = mapped_column(String(255))
    # Canonical JSON text, stored verbatim so the hash is recomputable byte for byte on any database.
    data: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row per chain: its length and last hash. Locking it serializes that chain's appends, so it never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)  # the chain's length: chain_seq of its last row
    hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(server_default="0")  # the global seq of its last row
