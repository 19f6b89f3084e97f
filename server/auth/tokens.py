"""API tokens: shown once at creation, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.models import ApiToken, User

PREFIX = "boms_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The token's active user with its groups loaded: two queries on every API request, no more."""
    return session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
        .options(selectinload(User.groups))
    ).scalar_one_or_none()
