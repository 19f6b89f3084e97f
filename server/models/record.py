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
    table_name: Mapped[str] = mapped_column(String(63))
    is_latest: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(150))
