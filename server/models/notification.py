"""In-app notifications, one row per recipient, with the state of their optional email."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from server.events import EmailStatus

KINDS = ("task.assigned", "task.group", "request.finished")
EMAIL_STATUSES = tuple(EmailStatus)


class Notification(Base):
    __tablename__ = "notification"
    # The bell counts (user_id, read_at IS NULL) on every page: this index answers it alone.
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    # Title and body in the server's default language, as the email carries them; the page re-renders
    # them from kind + data in the reader's language.
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # The delivery worker looks for 'pending' rows: indexed so it never scans the whole history.
    email_status: Mapped[str] = mapped_column(String(10), default=EmailStatus.NONE, index=True)
    email_error: Mapped[str | None] = mapped_column(Text)  # the last failure, kept while retrying
    # Attempts made so far, and when the next may start (None: at once); see services/notification_email.py.
    email_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    email_next_at: Mapped[datetime | None]
