"""Saved views of a record list: a name, a filter, a sort and the columns, per user, optionally shared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class RecordView(Base):
    __tablename__ = "record_view"
    # One name per owner and type: saving under a name one already has replaces that view.
    __table_args__ = (UniqueConstraint("type_key", "owner", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_key: Mapped[str] = mapped_column(String(40), index=True)
    owner: Mapped[str] = mapped_column(String(150))
    name: Mapped[str] = mapped_column(String(100))
    filter: Mapped[str] = mapped_column(Text, default="")
    sort: Mapped[str] = mapped_column(String(400), default="")
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
