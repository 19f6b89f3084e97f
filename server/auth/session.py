"""The logged-in user of the web pages (Flask-Login), backed by the same Principal the API uses.

The session cookie holds "<user id>:<session epoch>". The loader accepts it only while the user is
active and the epoch is still the user's: logout, a password set by an admin and deactivation raise the
epoch, so a copied cookie stops working server-side, not only in the browser that logged out.
"""

from __future__ import annotations

from flask_login import UserMixin, current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from server.auth.permissions import Principal
from server.db import current_database
from server.extensions import login_manager
from server.models import Notification, User


class SessionUser(UserMixin):
    def __init__(self, user: User, unread_notifications: int | None = None) -> None:
        self.id = str(user.id)
        # The navbar bell's count, read with the user at the start of the request (None: not read).
        self.unread_notifications = unread_notifications
        self.epoch = user.session_epoch or 0
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.principal = Principal.of(user)

    def get_id(self) -> str:
        return f"{self.id}:{self.epoch}"


def _parse(session_id: str) -> tuple[int, int] | None:
    user_id, _, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None  # also every cookie from before epochs existed: log in again
    return int(user_id), int(epoch)


@login_manager.user_loader
def load_user(session_id: str) -> SessionUser | None:
    parsed = _parse(session_id)
    if parsed is None:
        return None
    user_id, epoch = parsed
    with current_database().read() as session:
        # One statement before every page: the user, its groups (joined) and the bell's unread count, which
        # was a transaction of its own per page (three round trips on PostgreSQL).
        unread = (select(func.count()).select_from(Notification)
                  .where(Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery())
        row = session.execute(
            select(User, unread).where(User.id == user_id, User.active.is_(True), User.session_epoch == epoch)
            .options(joinedload(User.groups))
        ).unique().one_or_none()
        return SessionUser(row[0], row[1] or 0) if row else None


def end_sessions_of(user_id: int) -> None:
    """Logout: end every session of the user (this browser's and any copy of its cookie)."""
    with current_database().write() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.end_sessions()


def web_principal() -> Principal:
    """The principal of the logged-in user; pages are wrapped in @login_required first."""
    return current_user.principal
