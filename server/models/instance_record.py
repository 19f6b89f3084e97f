"""Which record a process instance works on: one per record type, from the record it was started from, the
record its record-form task or ``records.create`` made, so the record page lists its instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class InstanceRecord(Base):
    __tablename__ = "instance_record"
    __table_args__ = (Index("ix_instance_record_record", "type_key", "record_id"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    type_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[int]
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(150))
