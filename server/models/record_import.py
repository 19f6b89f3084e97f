"""Imports of records from a spreadsheet: one row per upload, one row per refused data row.

The uploaded file lives on disk under <instance_path>/imports/<id> (never under the user's file name).
``rows_done`` is the resume point: the data rows of the file already handled, committed in the same
transaction as the records they wrote and the errors they found, so a job killed between chunks starts
again after the last committed chunk and neither duplicates nor loses a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class RecordImport(Base):
    __tablename__ = "record_import"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type_key: Mapped[str] = mapped_column(String(40), index=True)
    # pending -> validating -> writing -> done | failed | cancelled; a dry run ends "previewed"
    status: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)  # mode, key, onError, mapping, sheet, encoding
    file_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    total_rows: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    valid: Mapped[int] = mapped_column(default=0)
    preview: Mapped[list[Any]] = mapped_column(default=list)
    # abort mode: the auto-numbers reserved for its inserts, {"at", "first": {field: n}, "count"} (imports/numbers.py)
    numbers: Mapped[dict[str, Any] | None]
    message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class RecordImportError(Base):
    """A data row the import refused: its cells as they were and a message per wrong cell."""

    __tablename__ = "record_import_error"
    __table_args__ = (Index("ix_record_import_error_import_row", "import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("record_import.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    cells: Mapped[list[Any]] = mapped_column(default=list)  # the row as read, as text
    problems: Mapped[list[Any]] = mapped_column(default=list)  # [{"column": "C", "header": ..., "value", "message"}]
