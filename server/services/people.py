"""Changes a person makes to users, groups and API tokens (the admin pages today, an API later).

Each takes the write session and the asking Principal, checks that they may manage people, and records
an audit event (without secrets: a password or token never reaches the log). server/services/identity.py
holds the unchecked building blocks (``add_user``, ``find_user``) that the CLI and the demo also use.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.client import client_info
from server.auth.passwords import hash_password
from server.auth.permissions import Principal, require_can_manage_people
from server.auth.tokens import create_token
from server.db import utcnow
from server.errors import BadRequest, Conflict, NotFound
from server.events import EventKind, SubjectType
from server.models import ROLES, ApiToken, Group, User
from server.services.identity import add_user, ensure_group, find_user

MIN_PASSWORD = 8


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def names(text: str) -> list[str]:
    return sorted({part.strip() for part in text.replace("\n", ",").split(",") if part.strip()})


def create_user(session: Session, who: Principal, *, username: str, password: str, roles: list[str], groups: str,
                manager: str, display_name: str) -> User:
    require_can_manage_people(who)
    return add_user(session, username.strip(), password, roles=roles, groups=names(groups),
                    manager=manager.strip() or None, actor=who.username, display_name=display_name.strip() or None)


def update_user(session: Session, who: Principal, user_id: int, *, display_name: str, email: str, active: bool,
                roles: list[str], groups: str, manager: str, department: str | None = None,
                approval_limit: str | None = None) -> User:
    """``department`` and ``approval_limit`` (text, empty to clear) are unchanged when None."""
    require_can_manage_people(who)
    user = _user(session, user_id)
    limit = _amount(approval_limit) if approval_limit is not None else user.approval_limit
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise BadRequest(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}", field="roles")
    if user.id == who.id and (not active or "admin" not in roles):
        raise Conflict("you cannot deactivate yourself or take away your own admin role", field="roles")
    boss = find_user(session, manager.strip()) if manager.strip() else None
    if boss is not None and boss.id == user.id:
        raise BadRequest("a user cannot be their own manager", field="manager")
    before = {"active": user.active, "roles": list(user.roles), "groups": user.group_names,
              "manager": user.manager.username if user.manager else None, "displayName": user.display_name,
              "email": user.email, "department": user.department, "approvalLimit": _text(user.approval_limit)}
    user.display_name, user.email = display_name.strip() or None, email.strip() or None
    if department is not None:
        user.department = department.strip() or None
    user.approval_limit = limit
    if user.active and not active:
        user.end_sessions()  # a reactivated user logs in again: old cookies stay dead
    user.active, user.roles, user.manager = active, sorted(set(roles)), boss
    user.groups = [ensure_group(session, name) for name in names(groups)]
    session.flush()
    after = {"active": user.active, "roles": list(user.roles), "groups": user.group_names,
             "manager": boss.username if boss else None, "displayName": user.display_name, "email": user.email,
             "department": user.department, "approvalLimit": _text(user.approval_limit)}
    changes = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
    if changes:
        publish(session, Event(EventKind.USER_UPDATED, who.username,
                           subject_type=SubjectType.USER, subject_id=str(user.id),
                               data={"username": user.username, "changes": changes, **client_info()}))
    # Permission changes also get events of their own, so the log can be filtered for them.
    for key, kind in (("roles", EventKind.USER_ROLES_CHANGED), ("groups", EventKind.USER_GROUPS_CHANGED),
                      ("active", EventKind.USER_DEACTIVATED if not active else EventKind.USER_ACTIVATED)):
        if key in changes:
            publish(session, Event(kind, who.username,
                           subject_type=SubjectType.USER, subject_id=str(user.id),
                                   data={"username": user.username, **changes[key], **client_info()}))
    return user


def _amount(text: str) -> Decimal | None:
    """An approval limit from a form: empty clears it; otherwise an amount >= 0."""
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadRequest(f"approval limit '{text}' is not an amount", field="approval_limit") from None
    if not value.is_finite() or value < 0:
        raise BadRequest("an approval limit is an amount >= 0", field="approval_limit")
    return value


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def set_password(session: Session, who: Principal, user_id: int, password: str) -> None:
    require_can_manage_people(who)
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    user = _user(session, user_id)
    user.password_hash = hash_password(password)
    user.end_sessions()  # whoever knew the old password loses the sessions it opened
    publish(session, Event(EventKind.USER_PASSWORD_SET, who.username,
                           subject_type=SubjectType.USER, subject_id=str(user.id),
                           data={"username": user.username, **client_info()}))


def add_group(session: Session, who: Principal, name: str, display_name: str) -> Group:
    require_can_manage_people(who)
    name = name.strip()
    if not name:
        raise BadRequest("a group needs a name", field="name")
    if session.execute(select(Group.id).where(Group.name == name)).first():
        raise Conflict(f"group '{name}' already exists", field="name")
    group = Group(name=name, display_name=display_name.strip() or None)
    session.add(group)
    session.flush()
    publish(session, Event(EventKind.GROUP_CREATED, who.username,
                           subject_type=SubjectType.GROUP, subject_id=str(group.id),
                           data={"name": name}))
    return group


def issue_token(session: Session, who: Principal, user_id: int, name: str) -> str:
    """The new token, which is shown once and stored only as its SHA-256."""
    require_can_manage_people(who)
    user = _user(session, user_id)
    token = create_token(session, user, name.strip())
    publish(session, Event(EventKind.TOKEN_CREATED, who.username,
                           subject_type=SubjectType.USER, subject_id=str(user.id),
                           data={"username": user.username, "name": name.strip(), **client_info()}))
    return token


def revoke_token(session: Session, who: Principal, token_id: int) -> None:
    require_can_manage_people(who)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"API token {token_id} does not exist")
    if token.revoked_at is not None:
        raise Conflict(f"API token {token_id} is already revoked")
    token.revoked_at = utcnow()
    publish(session, Event(EventKind.TOKEN_REVOKED, who.username,
                           subject_type=SubjectType.TOKEN, subject_id=str(token.id),
                           data={"tokenId": token.id, "username": token.user.username, "name": token.name,
                                 **client_info()}))
