"""The logged-in user of the web pages (Flask-Login), backed by the same Principal the API uses."""

from __future__ import annotations

from flask_login import UserMixin, current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.auth.permissions import Principal
from server.db import current_database
from server.extensions import login_manager
from server.models import User


class SessionUser(UserMixin):
    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.principal = Principal.of(user)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    if not user_id.isdigit():
        return None
    with current_database().read() as session:
        user = session.execute(
            select(User).where(User.id == int(user_id), User.active.is_(True)).options(selectinload(User.groups))
        ).scalar_one_or_none()
        return SessionUser(user) if user else None


def web_principal() -> Principal:
    """The principal of the logged-in user; pages are wrapped in @login_required first."""
    return current_user.principal
