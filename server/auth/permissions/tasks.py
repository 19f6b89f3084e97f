"""Who may see, claim and work on a human task, see a process instance, and start a process.

Where lists need a rule it comes twice, as a check on one row and as a WHERE clause for a query;
a change to one is a change to the other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, exists, or_, select

from server.auth.permissions.roles import Principal
from server.errors import Forbidden
from server.models import HumanTask, InstanceCc, ProcessInstance, ProcessVersion, TaskCandidate
from server.models.task import ANYONE_KIND, ANYONE_NAME


def _is_candidate(who: Principal, task: HumanTask) -> bool:
    groups, users = task.candidate_groups, task.candidate_users
    if not groups and not users:
        # Nobody named: any staff member may pick it up, until someone has.
        return not task.assignee and who.has("staff", "admin")
    return who.username in users or bool(who.groups.intersection(groups))


def can_work_on(who: Principal, task: HumanTask) -> bool:
    if who.has("admin"):
        return True
    if task.assignee:
        return task.assignee == who.username
    return _is_candidate(who, task)


def can_see_task(who: Principal, task: HumanTask) -> bool:
    return (who.reads_everything or task.completed_by == who.username or task.assignee == who.username
            or task.owner == who.username or _is_candidate(who, task))


def can_claim(who: Principal, task: HumanTask) -> bool:
    """Candidates may try; if someone else holds the task, the runner answers 409, not 403."""
    return who.has("admin") or task.assignee == who.username or _is_candidate(who, task)


def require_task_access(who: Principal, task: HumanTask, action: str) -> None:
    """`action` is view, claim, or anything that changes the task (complete, unclaim)."""
    checks = {"view": can_see_task, "claim": can_claim}
    if not checks.get(action, can_work_on)(who, task):
        raise Forbidden(f"you may not {action} task '{task.id}'")


def task_visibility(who: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause for the tasks `who` may list; None means everything."""
    if who.reads_everything:
        return None
    named = [
        (TaskCandidate.kind == "group") & TaskCandidate.name.in_(sorted(who.groups) or [""]),
        (TaskCandidate.kind == "user") & (TaskCandidate.name == who.username),
    ]
    clauses = [HumanTask.assignee == who.username, HumanTask.completed_by == who.username,
               HumanTask.owner == who.username,
               exists().where(TaskCandidate.task_id == HumanTask.id).where(or_(*named))]
    if who.has("staff", "admin"):
        # Nobody named (the task's one candidate row says "anyone"): any staff member, until someone has it.
        clauses.append(HumanTask.assignee.is_(None) & HumanTask.id.in_(anyone_tasks()))
    return or_(*clauses)


def anyone_tasks() -> Select[tuple[str]]:
    """The ids of tasks nobody is named for (any staff member may claim them)."""
    return select(TaskCandidate.task_id).where(TaskCandidate.kind == ANYONE_KIND, TaskCandidate.name == ANYONE_NAME)


def instance_visibility(who: Principal) -> ColumnElement[bool] | None:
    """Staff see the instances they started, have a task in, or were copied on (抄送)."""
    if who.reads_everything:
        return None
    visible_tasks = select(HumanTask.instance_id).where(task_visibility(who))  # type: ignore[arg-type]
    copied = select(InstanceCc.instance_id).where(InstanceCc.username == who.username)
    return or_(ProcessInstance.started_by == who.username, ProcessInstance.id.in_(visible_tasks),
               ProcessInstance.id.in_(copied))


def require_instance_access(who: Principal, instance: ProcessInstance, tasks: Iterable[HumanTask],
                            copied: bool = False) -> None:
    """`copied`: `who` was copied on the instance (a read-only view)."""
    if who.reads_everything or instance.started_by == who.username or copied:
        return
    if any(can_see_task(who, t) for t in tasks):
        return
    raise Forbidden(f"you may not see process instance '{instance.id}'")


def require_can_start(who: Principal, version: ProcessVersion) -> None:
    if who.has("admin"):
        return
    if not who.has("staff"):
        raise Forbidden("starting a process needs the staff role")
    starters = version.candidate_starters
    if starters and not any(
        (kind == "group" and name in who.groups) or (kind == "user" and name == who.username)
        for kind, _, name in (s.partition(":") for s in starters)
    ):
        raise Forbidden(f"process '{version.key}' may only be started by: {', '.join(starters)}")


def can_start(who: Principal, version: ProcessVersion) -> bool:
    try:
        require_can_start(who, version)
    except Forbidden:
        return False
    return True
