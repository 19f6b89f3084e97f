"""Signers added after the assignee (加签, "after"): who acts next on a step before the engine hears of it.

Kept apart from task_actions.py because completing a task (tasks.py) asks it, and task_actions.py
builds on tasks.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine.runner import Runner
from server.errors import Conflict
from server.events import EventKind
from server.models import HumanTask, ProcessInstance

DELEGATED, BEFORE, AFTER = "delegated", "before", "after"  # HumanTask.delegation


def pass_to_next_signer(session: Session, runner: Runner, instance: ProcessInstance, task: HumanTask, actor: str,
                        variables: dict[str, Any]) -> bool:
    """On completion: if signers added after are still to act, hand the task to the next one (True), keeping
    each decision in the task's data; False when the engine should complete it now."""
    if task.delegation in (DELEGATED, BEFORE):
        raise Conflict(f"task '{task.id}' is with {task.assignee} for {task.owner}; they resolve it first, "
                       f"then {task.owner} completes it", field="action")
    queue = list(task.signers or []) if task.delegation == AFTER else []
    if not queue:
        return False
    signed = [*((task.data or {}).get("signed") or []), {"user": actor, "variables": variables,
                                                          "at": utcnow().isoformat()}]
    task.data = {"signed": signed}
    task.assignee, task.signers = queue[0], queue[1:] or None
    runner.emit(session, [Event(kind=EventKind.TASK_RESOLVED, actor=actor, instance_id=instance.id, task_id=task.id,
                                element_id=task.element_id,
                                data={"assignee": task.assignee, "signed": True, "variables": variables})])
    return True
