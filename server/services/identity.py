"""Users, groups and their reporting lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.passwords import hash_password
from server.errors import BadRequest, Conflict, NotFound
from server.events import EventKind, SubjectType
from server.models import ROLES, Group, User


def find_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"user '{username}' does not exist")
    return user


def ensure_group(session: Session, name: str) -> Group:
    group = session.execute(select(Group).where(Group.name == name)).scalar_one_or_none()
    if group is None:
        group = Group(name=name)
        session.add(group)
    return group


def add_user(session: Session, username: str, password: str, *, groups: list[str] = (),  # type: ignore[assignment]
             roles: list[str] = ("staff",), manager: str | None = None, actor: str = "system",  # type: ignore[assignment]
             display_name: str | None = None, department: str | None = None,
             approval_limit: Decimal | None = None) -> User:
    if not username.strip():
        raise BadRequest("a user needs a name")
    if len(password) < 8:
        raise BadRequest("a password needs at least 8 characters")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise BadRequest(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user '{username}' already exists")
    if approval_limit is not None and (not approval_limit.is_finite() or approval_limit < 0):
        raise BadRequest("an approval limit is an amount >= 0")
    boss = find_user(session, manager) if manager else None
    members_of = [ensure_group(session, g) for g in groups]
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                roles=sorted(set(roles)), groups=members_of, manager=boss, department=department or None,
                approval_limit=approval_limit)
    session.add(user)
    session.flush()
    publish(session, Event(EventKind.USER_CREATED, actor, subject_type=SubjectType.USER, subject_id=str(user.id),
                           data={"username": username, "roles": user.roles, "groups": sorted(groups),
                                 "manager": manager, "department": department or None,
                                 "approvalLimit": str(approval_limit) if approval_limit is not None else None}))
    return user
