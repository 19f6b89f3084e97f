"""Who a notification goes to: active users by name and the members of groups, kept per process a moment.

Nearly every workflow step notifies someone (a task for a group, a request finished), and the answer to
"who is in group G, with which email" almost never changes between two steps: looking it up every time
was one statement of the few a step costs (issue 17). The answers are kept per database engine for
`seconds` (BOMS_DIRECTORY_CACHE_SECONDS, default 2), as the rule cache is (server/rules/cache.py):

- a transaction that changes a user or a group in this process (an audit event about a user or group,
  which every such change publishes) reads the tables itself until it ends, and drops the kept answers
  when it commits, so this process never notifies from what it knows is stale;
- another process sees a change at most `seconds` after its commit: a user added to a group there is
  told of that group's tasks created from then on, and one deactivated there may still get a
  notification row (never a task: candidates are read live) in that window;
- 0 turns it off: one look-up per step, as before.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from server.audit import Event
from server.events import SubjectType
from server.models import Group, User, membership

Person = tuple[int, str | None]  # user id, email

# Built once with expanding parameters: constructing them per call cost more than running them on SQLite.
_USERS = (select(User.id, User.username, User.email)
          .where(User.username.in_(bindparam("names", expanding=True)), User.active.is_(True)))
_MEMBERS = (select(Group.name, User.id, User.username, User.email)
            .join(membership, membership.c.group_id == Group.id).join(User, User.id == membership.c.user_id)
            .where(Group.name.in_(bindparam("groups", expanding=True)), User.active.is_(True)))

_CHANGED = "boms_directory_changed"
_DIRECTORY_SUBJECTS = (SubjectType.USER, SubjectType.GROUP)


@dataclass
class _Entry:
    loaded_at: float
    users: dict[str, Person | None] = field(default_factory=dict)  # None: no such active user
    members: dict[str, frozenset[str]] = field(default_factory=dict)


_entries: weakref.WeakKeyDictionary[Any, _Entry] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _engine(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _forget(session: Session) -> None:
    with _lock:
        _entries.pop(_engine(session), None)


def note_changes(session: Session, events: Iterable[Event]) -> None:
    """Called with every published batch: a change to a user or group stops the kept answers for this
    transaction and drops them when it commits."""
    if session.info.get(_CHANGED) is session.get_transaction():
        return
    if any(e.subject_type in _DIRECTORY_SUBJECTS for e in events):
        session.info[_CHANGED] = session.get_transaction()
        _forget(session)  # another transaction here must not go on with them either
        event.listen(session, "after_commit", _forget, once=True)


def _query(session: Session, names: set[str], groups: set[str]) -> tuple[dict[str, Person | None],
                                                                        dict[str, frozenset[str]]]:
    users: dict[str, Person | None] = dict.fromkeys(names)
    members: dict[str, set[str]] = {group: set() for group in groups}
    if names:
        users.update({name: (uid, email) for uid, name, email in session.execute(_USERS, {"names": sorted(names)})})
    if groups:
        for group, uid, name, email in session.execute(_MEMBERS, {"groups": sorted(groups)}):
            members[group].add(name)
            users[name] = (uid, email)
    return users, {group: frozenset(found) for group, found in members.items()}


def recipients(session: Session, names: set[str], groups: set[str],
               seconds: float) -> tuple[dict[str, Person], dict[str, frozenset[str]]]:
    """Active users among `names` and the groups' members: (name -> (id, email), group -> member names).
    At most one statement of each kind for what is not kept already."""
    if seconds <= 0 or session.info.get(_CHANGED) is session.get_transaction():
        users, members = _query(session, names, groups)
        return {n: p for n, p in users.items() if p is not None}, members
    engine, now = _engine(session), time.monotonic()
    with _lock:
        entry = _entries.get(engine)
        if entry is None or now - entry.loaded_at > seconds:
            entry = _entries[engine] = _Entry(now)
        missing_names = {n for n in names if n not in entry.users}
        missing_groups = {g for g in groups if g not in entry.members}
    if missing_names or missing_groups:
        users, members = _query(session, missing_names, missing_groups)
        with _lock:  # another thread may have replaced the entry meanwhile: what was read is as fresh
            entry.users.update(users)
            entry.members.update(members)
    found_members = {g: entry.members[g] for g in groups}
    wanted = names.union(*found_members.values())
    return {n: p for n in wanted if (p := entry.users.get(n)) is not None}, found_members
