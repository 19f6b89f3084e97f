"""Record types (user-defined tables): one row per saved version of a definition.

The records themselves live in one real table per record type (``rec_<key>``), created and altered by
server/records/storage.py from the definition; those tables are not on Base.metadata, so Alembic's
migrations never see or drop them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class RecordType(Base):
    __tablename__ = "record_type"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    name_en: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str] = mapped_column(String(255))
    # The definition as saved (fields, permissions), normalized: what GET /record-types/{key} returns.
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64))
    # Fields a later version left out: their columns and data stay until an admin purges them.
    removed_fields: Mapped[list[Any]] = mapped_column(default=list)
    table_name: Mapped[str] = mapped_column(String(63))
    is_latest: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(150))


class RecordCounter(Base):
    """The last number an auto-number field gave out, per record type, field and period (``2026`` for
    ``WO-{yyyy}-{0000}``, empty without a date part). Incremented with a row lock in the creating
    transaction, so a rolled-back create gives its number back: gap-free and unique under concurrency."""

    __tablename__ = "record_counter"

    type_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
