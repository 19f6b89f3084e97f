"""The append-only, hash-chained history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Index, String, Text, case, func, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from server.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_instance_seq", "instance_id", "seq"),
        Index("ix_audit_event_at", "at"),
        # Compact rows (hash version 3) leave a task's or an instance's own id out of subject_id: those
        # are found by instance_id, and the index holds only the other subjects (migration 0019).
        Index("ix_audit_event_subject", "subject_type", "subject_id", "seq",
              postgresql_where=text("subject_id IS NOT NULL"), sqlite_where=text("subject_id IS NOT NULL")),
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
    # '' in a compact row (hash version 3): the hash of the row before it, see `linked_prev_hash`.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def full_subject_id(self) -> str | None:
        """The subject as it was hashed: a compact row leaves out its default (server/audit_compact.py)."""
        if self.subject_id is not None or self.hash_version < 3:
            return self.subject_id
        return {"task": self.task_id, "instance": self.instance_id}.get(self.subject_type or "")


_event = AuditEvent.__table__
_previous = _event.alias("previous_event")
# What a reader shows as the row's previous hash: stored in rows before version 3, else the hash of the row
# before it in its chain (one lookup in the unique (chain, chain_seq) index).
AuditEvent.linked_prev_hash = column_property(case(
    (_event.c.prev_hash != "", _event.c.prev_hash),
    (_event.c.chain_seq == 1, "0" * 64),
    else_=select(_previous.c.hash).where(_previous.c.chain == _event.c.chain,
                                         _previous.c.chain_seq == _event.c.chain_seq - 1).scalar_subquery(),
))


class AuditHead(Base):
    """One row per chain: its length and last hash. Locking it serializes that chain's appends, so it never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)  # the chain's length: chain_seq of its last row
    hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(server_default="0")  # the global seq of its last row


def full_subject_column() -> ColumnElement[str | None]:
    """`full_subject_id` in SQL, for reads that aggregate over the table (analytics)."""
    return func.coalesce(_event.c.subject_id, case(
        ((_event.c.hash_version >= 3) & (_event.c.subject_type == "task"), _event.c.task_id),
        ((_event.c.hash_version >= 3) & (_event.c.subject_type == "instance"), _event.c.instance_id),
    ))
