"""Substitutes (out of office, issue 14): a user names who takes their tasks for a date range.

The engine applies it when a task is created (server/engine/projection.py: the substitute becomes the
assignee, the user its owner, so they see it under "Delegated"; audited as task.substituted). Tasks
already assigned before the range stay where they are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.errors import BadRequest, Forbidden
from server.events import EventKind, SubjectType
from server.models import User

MAX_DAYS = 366


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None  # type: ignore[return-value]
    except ValueError:
        pass
    raise BadRequest(f"{field} must be a date (YYYY-MM-DD)", field=field)


def substitute_json(user: User) -> dict[str, Any]:
    return {"user": user.substitute, "from": user.substitute_from.isoformat() if user.substitute_from else None,
            "until": user.substitute_until.isoformat() if user.substitute_until else None}


def _me(session: Session, who: Principal) -> User:
    me = session.get(User, who.id)
    if me is None or not who.has("staff", "admin"):
        raise Forbidden("setting a substitute needs the staff role")
    return me


def get_substitute(session: Session, who: Principal) -> dict[str, Any]:
    return substitute_json(_me(session, who))


def set_substitute(session: Session, who: Principal, user: Any, start: Any, end: Any) -> dict[str, Any]:
    """Name the substitute for start..end (inclusive); `user` null clears it."""
    me = _me(session, who)
    if user is None:
        me.substitute = me.substitute_from = me.substitute_until = None
    else:
        if not isinstance(user, str) or not user.strip():
            raise BadRequest("user must name the substitute, or be null to clear it", field="user")
        other = session.scalar(select(User).where(User.username == user.strip()))
        if other is None or not other.active:
            raise BadRequest(f"user '{user}' does not exist or is inactive", field="user")
        if other.id == me.id:
            raise BadRequest("you cannot be your own substitute", field="user")
        first, last = _day(start, "from"), _day(end, "until")
        if last < first:
            raise BadRequest("until is before from", field="until")
        if (last - first).days >= MAX_DAYS:
            raise BadRequest(f"a substitute can be set for at most {MAX_DAYS} days", field="until")
        me.substitute, me.substitute_from, me.substitute_until = other.username, first, last
    publish(session, Event(EventKind.USER_SUBSTITUTE_SET, who.username, subject_type=SubjectType.USER,
                           subject_id=me.username, data=substitute_json(me)))
    return substitute_json(me)
