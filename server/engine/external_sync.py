"""Keep the external_task rows equal to the external service tasks an instance waits on.

Run by the projection in every step, in the step's transaction: a task that starts gets its row (free
for any worker), a task that ended, was cancelled or interrupted loses it, and a waiting task keeps its
row with its lock, retries and error untouched.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from server.db import utcnow
from server.engine.step import Step
from server.events import ENDED_STATUSES
from server.models import ExternalTask


def external_config(elements: dict[str, Any], element_id: str | None) -> dict[str, Any] | None:
    service = (elements.get(element_id or "") or {}).get("service")
    return service if isinstance(service, dict) and service.get("external") else None


def waiting_external(step: Step, tasks: list[Any]) -> dict[str, tuple[str, str]]:
    """Engine task id -> (element, topic) of each started external service task."""
    elements = step.instance.version.elements
    found = {}
    for task in tasks:
        if task.state == TaskState.STARTED and isinstance(task.task_spec, ServiceTask):
            config = external_config(elements, task.task_spec.bpmn_id)
            if config is not None:
                found[str(task.id)] = (task.task_spec.bpmn_id, config["topic"])
    return found


def sync_external_tasks(step: Step, tasks: list[Any]) -> None:
    wanted = waiting_external(step, tasks) if step.instance.status not in ENDED_STATUSES else {}
    rows = step.session.scalars(select(ExternalTask).where(ExternalTask.instance_id == step.instance.id))
    for row in rows:
        if row.id in wanted:
            del wanted[row.id]
        else:
            step.session.delete(row)
    for task_id, (element, topic) in wanted.items():
        step.session.add(ExternalTask(id=task_id, instance_id=step.instance.id, process_key=step.instance.process_key,
                                      element_id=element, topic=topic, priority=0, created_at=utcnow()))
