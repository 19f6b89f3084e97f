"""The people directory that assignment expressions read: reporting lines, groups, roles, attributes.

Expressions stay pure (server.expressions never touches the database): this module registers the
functions by name, so they compile and are checked at deploy, and their implementation reads the
directory bound to the current step (``bound(session)``, set by the runner around each engine run).
Evaluated outside a step (a rule condition, a preview) they fail with a clear message instead of
guessing. Only active users count: a task must never go to someone who cannot log in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.expressions import register_function
from server.models import Group, User

# Collections read from the directory: empty means a missing manager or an empty group, not "no one to ask".
_LIST_CALL_RE = re.compile(r"(?<![\w$.|])(managerChain|groupMembers|usersWithRole)\s*\(")
MAX_CHAIN = 50  # a reporting line longer than this is a data error (or a cycle the check missed)

_current: ContextVar[Directory | None] = ContextVar("boms_directory", default=None)


class DirectoryError(Exception):
    pass


class Directory:
    """Look-ups against one session, cached for the step (a chain of N levels costs N queries once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[str, User | None] = {}

    def user(self, name: Any) -> User | None:
        if name is None:
            return None
        if not isinstance(name, str):
            raise DirectoryError(f"expects a user name, got {type(name).__name__}")
        if name not in self._users:
            self._users[name] = self.session.scalar(select(User).where(User.username == name))
        return self._users[name]

    def substitute(self, name: str, day: date) -> str | None:
        """Who takes `name`'s tasks on `day` (out of office), if anyone active does."""
        person = self.user(name)
        if person is None or not person.substitute or not person.substitute_from or not person.substitute_until:
            return None
        if not person.substitute_from <= day <= person.substitute_until:
            return None
        other = self.user(person.substitute)
        return other.username if other is not None and other.active else None

    def chain(self, name: Any, levels: int) -> list[str]:
        """The user's managers, nearest first, at most ``levels`` of them; inactive managers are skipped."""
        found: list[str] = []
        seen: set[int] = set()
        person = self.user(name)
        if name is not None and person is None:
            raise DirectoryError(f"unknown user '{name}'")
        while person is not None and person.manager_id is not None and len(found) < levels:
            if person.manager_id in seen or len(seen) > MAX_CHAIN:
                break  # a cycle in the reporting line ends it rather than looping
            seen.add(person.manager_id)
            person = person.manager
            if person is not None and person.active:
                self._users.setdefault(person.username, person)
                found.append(person.username)
        return found

    def group_members(self, name: Any) -> list[str]:
        if not isinstance(name, str):
            raise DirectoryError(f"expects a group name, got {type(name).__name__}")
        group = self.session.scalar(select(Group).where(Group.name == name))
        return sorted(u.username for u in group.members if u.active) if group is not None else []

    def users_with_role(self, role: Any) -> list[str]:
        if not isinstance(role, str):
            raise DirectoryError(f"expects a role name, got {type(role).__name__}")
        users = self.session.scalars(select(User).where(User.active.is_(True)))
        return sorted(u.username for u in users if role in (u.roles or []))


def reads_directory(text: str | None) -> bool:
    """Whether an expression's list comes from the directory (managerChain, groupMembers, usersWithRole)."""
    return bool(text and _LIST_CALL_RE.search(text))


def attributes(user: User) -> dict[str, Any]:
    """What `user(name).x` can read: no password hash, no ids."""
    limit = user.approval_limit
    return {
        "username": user.username, "displayName": user.display_name, "email": user.email,
        "department": user.department, "active": user.active, "roles": list(user.roles or []),
        "approvalLimit": float(limit) if isinstance(limit, Decimal) else limit,
        "manager": user.manager.username if user.manager is not None else None,
        "groups": sorted(g.name for g in user.groups),
    }


@contextmanager
def bound(session: Session) -> Iterator[Directory]:
    directory = Directory(session)
    token = _current.set(directory)
    try:
        yield directory
    finally:
        _current.reset(token)


def current() -> Directory:
    directory = _current.get()
    if directory is None:
        raise DirectoryError("the people directory is only available while a process runs")
    return directory


def _level(value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DirectoryError(f"{what} must be a whole number >= 1, got {value!r}")
    return value


def manager(name: Any, level: Any = 1) -> str | None:
    """The manager ``level`` steps up the reporting line, or null when the line is shorter."""
    chain = current().chain(name, _level(level, "the level"))
    wanted = _level(level, "the level")
    return chain[wanted - 1] if len(chain) >= wanted else None


def manager_chain(name: Any, levels: Any = MAX_CHAIN) -> list[str]:
    return current().chain(name, min(_level(levels, "the number of levels"), MAX_CHAIN))


def user_attributes(name: Any) -> dict[str, Any] | None:
    person = current().user(name)
    return attributes(person) if person is not None else None


register_function("manager", manager)
register_function("managerChain", manager_chain)
register_function("groupMembers", lambda name: current().group_members(name))
register_function("usersWithRole", lambda role: current().users_with_role(role))
register_function("user", user_attributes)
