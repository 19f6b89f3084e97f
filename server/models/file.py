"""Files uploaded through forms; the bytes live on disk, the process variable holds a reference.

See server/forms/files.py for the variable's shape and server/services/files.py for the store.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class StoredFile(Base):
    __tablename__ = "stored_file"
    __table_args__ = (Index("ix_stored_file_record", "record_type", "record_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Access follows what the file belongs to: a process instance (whoever may see it may download), or a
    # record's attachment field (record_type, and record_id once the record holds it; server/records/files.py).
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))  # None: uploaded with a start form
    field: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to <instance_path>/files/, built from the id only: the user's file name never reaches the disk.
    stored_path: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
