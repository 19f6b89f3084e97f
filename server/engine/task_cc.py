"""CC configured on a user task (ccUsers / ccGroups / ccWhen properties, issue 14): when the task is reached
or completed, the people named (a group: its active members) are copied on the request, in the step that
reaches or completes it. A name list may be a `${...}` expression over the step's variables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db import utcnow
from server.engine import directory
from server.engine.assignment import AssignmentError
from server.engine.step import Step
from server.engine.templates import evaluate_template
from server.events import EventKind
from server.expressions import ExpressionError
from server.models import HumanTask, InstanceCc


def _names(value: Any, what: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise AssignmentError(f"{what} gave {value!r}; it must give a name or a list of names")


def cc_recipients(info: dict[str, Any], data: dict[str, Any], when: str) -> tuple[list[str], list[str]]:
    """(users, groups) the step copies at `when` ("reached" or "completed"); AssignmentError when an
    expression fails (the caller makes it an incident naming the task)."""
    cc = info.get("cc") or {}
    if cc.get("when", "reached") != when:
        return [], []
    found = []
    for key, prop in (("users", "ccUsers"), ("groups", "ccGroups")):
        names = list(cc.get(key) or [])
        expression = cc.get(f"{key}Expression")
        if expression:
            try:
                names += _names(evaluate_template(expression, data), f'{prop}="{expression}"')
            except ExpressionError as exc:
                raise AssignmentError(f'the CC rule {prop}="{expression}" failed: {exc}') from exc
        found.append(list(dict.fromkeys(names)))
    return found[0], found[1]


def copy(step: Step, row: HumanTask, users: list[str], groups: list[str], when: str) -> None:
    """Copy the people on the request (not its initiator, nor anyone copied already or inactive)."""
    if not users and not groups:
        return
    people = directory.current()
    names = set(users)
    for group in groups:
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
               groups=groups, automatic=True, when=when)
