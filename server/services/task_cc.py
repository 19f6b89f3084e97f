"""CC (抄送): copy users on a request from an open task; they may read the instance and find it under
"CC me" (a read-only view: copying grants no task access)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.db import utcnow
from server.engine.runner import Runner
from server.errors import BadRequest
from server.events import EventKind
from server.models import Group, InstanceCc, ProcessInstance, User, membership
from server.queries import Page, PageRequest, Sorting, fetch_page
from server.services.task_actions import comment_text, open_task
from server.services.tasks import task_event

MAX_CC = 200
CC_SORTING = Sorting({"created": InstanceCc.created_at}, InstanceCc.instance_id, default="created")


def _names(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadRequest(f"{field} must be a list of names", field=field)
    return [v.strip() for v in value]


def _recipients(session: Session, users: list[str], groups: list[str]) -> list[str]:
    found = dict(session.execute(select(User.username, User.active).where(User.username.in_(users))).all())
    for name in users:
        if not found.get(name):
            raise BadRequest(f"user '{name}' does not exist or is inactive", field="users")
    known = set(session.scalars(select(Group.name).where(Group.name.in_(groups))))
    for name in groups:
        if name not in known:
            raise BadRequest(f"group '{name}' does not exist", field="groups")
    members = session.scalars(select(User.username).join(membership, membership.c.user_id == User.id)
                              .join(Group, Group.id == membership.c.group_id)
                              .where(Group.name.in_(groups), User.active.is_(True))) if groups else []
    return sorted(set(users).union(members))


def cc(session: Session, runner: Runner, who: Principal, task_id: str, users: Any, groups: Any = None,
       comment: Any = None) -> list[str]:
    """Copy users and groups' active members on the task's request; returns who was newly copied."""
    note = comment_text(comment)
    user_names, group_names = _names(users, "users"), _names(groups, "groups")
    if not user_names and not group_names:
        raise BadRequest("name the users or groups to copy", field="users")
    task, instance = open_task(session, runner, who, task_id, "cc", "complete")
    names = _recipients(session, user_names, group_names)
    if len(names) > MAX_CC:
        raise BadRequest(f"at most {MAX_CC} people can be copied at once, not {len(names)}", field="users")
    already = set(session.scalars(select(InstanceCc.username).where(InstanceCc.instance_id == instance.id)))
    new = [n for n in names if n not in already and n != instance.started_by]
    now = utcnow()
    session.add_all(InstanceCc(instance_id=instance.id, username=n, task_id=task.id, added_by=who.username,
                               comment=note, created_at=now) for n in new)
    task_event(session, runner, instance, task, who.username, EventKind.TASK_CC, users=new, groups=group_names,
               name=task.name, comment=note)
    return new


def copied_to_me(session: Session, who: Principal, request: PageRequest) -> Page[InstanceCc]:
    """The requests `who` was copied on, newest first (the "CC me" tab and `GET /tasks?view=cc`)."""
    query = select(InstanceCc).where(InstanceCc.username == who.username)
    return fetch_page(session, query, CC_SORTING.order("created", True), request)


def cc_instances(session: Session, rows: list[InstanceCc]) -> dict[str, ProcessInstance]:
    ids = [row.instance_id for row in rows]
    return {i.id: i for i in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))} if ids else {}


