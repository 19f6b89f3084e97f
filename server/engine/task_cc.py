"""CC configured on a user task (ccUsers / ccGroups properties, issue 14): when the task is reached, the
people named (a group: its active members) are copied on the request, in the step that creates the task."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db import utcnow
from server.engine import directory
from server.engine.step import Step
from server.events import EventKind
from server.models import HumanTask, InstanceCc


def copy_on_reach(step: Step, row: HumanTask, info: dict[str, Any]) -> None:
    cc = info.get("cc") or {}
    if not cc.get("users") and not cc.get("groups"):
        return
    people = directory.current()
    names = set(cc.get("users") or [])
    for group in cc.get("groups") or []:
        names.update(people.group_members(group))
    session, instance = step.session, step.instance
    already = {obj.username for obj in session.new if isinstance(obj, InstanceCc) and obj.instance_id == instance.id}
    already |= set(session.scalars(select(InstanceCc.username).where(InstanceCc.instance_id == instance.id)))
    new = sorted(n for n in names if n not in already and n != instance.started_by
                 and (person := people.user(n)) is not None and person.active)
    if not new:
        return
    now = utcnow()
    session.add_all(InstanceCc(instance_id=instance.id, username=n, task_id=row.id, added_by=step.actor,
                               created_at=now) for n in new)
    step.event(EventKind.TASK_CC, task_id=row.id, element_id=row.element_id, name=row.name, users=new,
               groups=cc.get("groups") or [], automatic=True)
