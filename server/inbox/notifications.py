"""Staff pages: the user's notifications, and the unread count the navbar bell shows."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from server.auth.redirects import local_path
from server.db import Database, current_database, utcnow
from server.inbox import bp
from server.models import Notification
from server.queries import ID, QueryArgs, offset_page
from server.services.notifications import text_of

PAGE_SIZE = 50


def _database() -> Database:
    return current_database()


def _user_id() -> int:
    return int(current_user.id)


def _local(link: str | None) -> str:
    # Only local paths: a stored link must never become an open redirect.
    return local_path(link, url_for("inbox.notifications"))


def unread_notifications() -> dict[str, int]:
    """Context processor: the bell's count, read with the session user (else one COUNT), none for anonymous
    visitors."""
    # getattr: outside a request (a template rendered for an email, say) current_user is None.
    if not getattr(current_user, "is_authenticated", False):
        return {}
    known = getattr(current_user, "unread_notifications", None)
    if known is not None:
        return {"unread_notifications": known}  # read with the session user (auth/session.py)
    with _database().read() as session:
        count = session.scalar(
            select(func.count()).select_from(Notification)
            .where(Notification.user_id == _user_id(), Notification.read_at.is_(None))
        )
    return {"unread_notifications": count or 0}


@bp.get("/notifications")
@login_required
def notifications() -> Any:
    page_number = QueryArgs(request.args, strict=False).integer("page", 1) or 1
    with _database().read() as session:
        page = offset_page(session, select(Notification).where(Notification.user_id == _user_id()),
                           [Notification.created_at.desc(), Notification.id.desc()], page_number, PAGE_SIZE,
                           counted=False)
        items = [(row, *text_of(row)) for row in page.items]
    return render_template("inbox/notifications.html", items=items, page=page_number,
                           has_more=page.has_more)


@bp.post(f"/notifications/<{ID}:notification_id>/read")
@login_required
def notification_read(notification_id: int) -> Any:
    with _database().write() as session:
        row = session.execute(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == _user_id())
        ).scalar_one_or_none()
        if row is None:
            abort(404)  # someone else's looks the same as none at all
        if row.read_at is None:
            row.read_at = utcnow()
        link = row.link
    return redirect(_local(link))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all() -> Any:
    with _database().write() as session:
        session.execute(
            update(Notification).where(Notification.user_id == _user_id(), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return redirect(url_for("inbox.notifications"))
