"""Dashboards (the analytics engine): one row per saved version of a JSON definition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Dashboard(Base):
    __tablename__ = "dashboard"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    title_en: Mapped[str] = mapped_column(String(255))
    title_zh: Mapped[str] = mapped_column(String(255))
    # The definition as saved (charts, filters, viewers), normalized: what GET /dashboards/{key} returns.
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64))
    is_latest: Mapped[bool] = mapped_column(default=True, index=True)
    # Set on the latest version when the dashboard is deleted; a later save starts the next version.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(150))
