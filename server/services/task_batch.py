"""Batch complete (批量审批): one decision applied to several tasks from the inbox, each checked on its own.

Each task is completed in a transaction of its own, through the same `tasks.complete` as a single
completion (permissions, form validation, signers, the engine), so one refused task (someone else's,
already done, a required field missing) changes nothing of it and does not stop the others.
"""

from __future__ import annotations

from typing import Any

from server.auth.permissions import Principal
from server.db import Database
from server.engine.runner import Runner
from server.errors import BadRequest, BomsError, Conflict
from server.forms.limits import check_variables
from server.forms.render import fields
from server.services import tasks as task_service
from server.services.task_actions import require_allowed

MAX_BATCH = 100


def _decision_task(session: Any, runner: Runner, who: Principal, task_id: str, variables: dict[str, Any],
                   decision: str | None) -> Any:
    task = task_service.get_task(session, who, task_id)
    require_allowed(session, task.instance, task, "batch")
    form = task.element.get("form") or {}
    decisions = [f for f in fields(form) if f.decision]
    if not decisions:
        raise Conflict(f"task '{task.element_id}' has no decision field; open it to complete it", field="tasks")
    if decision is not None:
        # The inbox's one decision ("approve") goes into each task's own decision field, if it offers it.
        field = decisions[0]
        if decision not in [value for value, _name in field.options]:
            raise BadRequest(f"task '{task.element_id}': {field.name} has no option '{decision}'", field="decision")
        variables = {**variables, field.name: decision}
    if not any(f.name in variables for f in decisions):
        raise BadRequest(f"task '{task.element_id}' decides with {', '.join(decisions)}, which the batch does "
                         "not set", field="variables")
    return task_service.complete(session, runner, who, task_id, variables)


def batch_complete(db: Database, runner: Runner, who: Principal, task_ids: Any, variables: Any = None,
                   decision: Any = None) -> list[dict[str, Any]]:
    """`decision`: an option id put into each task's own decision field. Per task, in the order given:
    {"id", "completed": true} or {"id", "completed": false, "status", "error"}."""
    if not isinstance(task_ids, list) or not task_ids or len(task_ids) > MAX_BATCH \
            or not all(isinstance(t, str) and t for t in task_ids):
        raise BadRequest(f"tasks must be a list of 1 to {MAX_BATCH} task ids", field="tasks")
    if len(set(task_ids)) != len(task_ids):
        raise BadRequest("tasks names a task twice", field="tasks")
    variables = {} if variables is None and decision is not None else variables
    if not isinstance(variables, dict) or not (variables or decision):
        raise BadRequest("variables must be an object with the decision", field="variables")
    if decision is not None and (not isinstance(decision, str) or not decision):
        raise BadRequest("decision must be the id of a decision option", field="decision")
    check_variables(variables)
    results = []
    for task_id in task_ids:
        try:
            with db.write() as session:
                _decision_task(session, runner, who, task_id, dict(variables), decision)
        except BomsError as exc:
            results.append({"id": task_id, "completed": False, "status": exc.status, "error": exc.message})
        else:
            results.append({"id": task_id, "completed": True})
    return results
