"""Approval actions on an open task that change only BOMS's task row (issue 14): transfer (转交),
delegate (委托) and resolve, add signer (加签) before or after, urge (催办).

Each action locks the task, checks that the caller may work on it and that the task allows the
action (a `camunda:property` on the user task; allowed unless set to "false"), and publishes one
audited event with who, when and the comment. Return, withdraw and CC are in task_return.py and
task_cc.py; the engine never hears of owners and signers: only the last signer's completion reaches it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, can_work_on, require_task_access
from server.db import utcnow
from server.engine.human_tasks import PARALLEL
from server.engine.runner import Runner
from server.errors import BadRequest, Conflict, Forbidden
from server.events import EventKind
from server.models import HumanTask, ProcessInstance, ProcessVersion, User
from server.services.cosigners import add_beside, open_cosigners
from server.services.signers import AFTER, BEFORE, DELEGATED
from server.services.tasks import task_event

MAX_COMMENT = 2000
MAX_SIGNERS = 20
URGE_INTERVAL = timedelta(hours=1)
# What a signer beside the assignee cannot do with their part of the step (it is the step owner's).
BESIDE_REFUSED = ("transfer", "delegate", "add_signers", "resolve")


def _element(session: Session, instance: ProcessInstance, task: HumanTask) -> dict[str, Any]:
    version = session.get(ProcessVersion, task.version_id) if task.version_id else instance.version
    return (version.elements if version is not None else {}).get(task.element_id, {})


def comment_text(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise BadRequest("comment must be text", field="comment")
    if len(comment) > MAX_COMMENT:
        raise BadRequest(f"comment is longer than {MAX_COMMENT} characters", field="comment")
    return comment.strip() or None


def require_allowed(session: Session, instance: ProcessInstance, task: HumanTask, action: str) -> None:
    """The user task's switch for `action` (allowReturn="false" and so on, read at deploy)."""
    if _element(session, instance, task).get("actions", {}).get(action) is False:
        raise Conflict(f"task '{task.element_id}' does not allow {action.replace('_', ' ')}", field="action")


def allowed_actions(task: HumanTask) -> dict[str, bool]:
    """What the task's element allows (every action unless switched off); for the task page's buttons."""
    return {**dict.fromkeys(("transfer", "return", "add_signers", "delegate", "urge", "cc", "withdraw", "batch"),
                            True), **task.element.get("actions", {})}


def open_task(session: Session, runner: Runner, who: Principal, task_id: str, action: str,
               access: str | None = None) -> tuple[HumanTask, ProcessInstance]:
    task, instance = runner.lock_task(session, task_id)
    require_task_access(who, task, "view")
    if task.status != "open" or instance.status != "running":
        raise Conflict(f"task '{task.id}' is {task.status} and its instance {instance.status}; "
                       f"it cannot be {action}")
    require_task_access(who, task, access or action)
    require_allowed(session, instance, task, action)
    if task.signs_for is not None and action in BESIDE_REFUSED:
        raise Conflict(f"task '{task.id}' is a signer's part of a countersigned step; it can be completed, "
                       f"returned or copied, not {action.replace('_', ' ')}", field="action")
    return task, instance


def _active_user(session: Session, name: Any, field: str) -> User:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest(f"{field} must name a user", field=field)
    target = session.scalar(select(User).where(User.username == name.strip()))
    if target is None or not target.active:
        raise BadRequest(f"user '{name}' does not exist or is inactive", field=field)
    return target


def not_delegated(task: HumanTask, action: str) -> None:
    if task.delegation in (DELEGATED, BEFORE):
        raise Conflict(f"task '{task.id}' is with {task.assignee} for {task.owner}; it cannot be {action} until "
                       "they resolve it", field="action")


def transfer(session: Session, runner: Runner, who: Principal, task_id: str, user: Any,
             comment: Any = None) -> HumanTask:
    """Hand the task to another active user, who becomes its assignee."""
    if not isinstance(user, str) or not user.strip():
        raise BadRequest("transfer needs the user to hand the task to", field="user")
    note = comment_text(comment)
    task, instance = open_task(session, runner, who, task_id, "transfer")
    not_delegated(task, "transferred")
    target = _active_user(session, user, "user")
    if target.username == who.username:
        raise BadRequest("you cannot transfer a task to yourself", field="user")
    if target.username == task.assignee:
        raise BadRequest(f"the task is already assigned to '{target.username}'", field="user")
    previous, task.assignee = task.assignee, target.username
    task_event(session, runner, instance, task, who.username, EventKind.TASK_TRANSFERRED, assignee=target.username,
               previousAssignee=previous, comment=note)
    return task


def delegate(session: Session, runner: Runner, who: Principal, task_id: str, user: Any,
             comment: Any = None) -> HumanTask:
    """委托: the delegate works the task, then resolves it back to `who`, who completes it (Camunda's delegation)."""
    note = comment_text(comment)
    task, instance = open_task(session, runner, who, task_id, "delegate", "complete")
    not_delegated(task, "delegated")
    if task.delegation == PARALLEL:
        raise Conflict(f"task '{task.id}' has signers beside you; complete it yourself", field="action")
    target = _active_user(session, user, "user")
    if target.username == who.username:
        raise BadRequest("you cannot delegate a task to yourself", field="user")
    task.owner, task.assignee, task.delegation = who.username, target.username, DELEGATED
    task_event(session, runner, instance, task, who.username, EventKind.TASK_DELEGATED, assignee=target.username,
               owner=who.username, comment=note)
    return task


def resolve(session: Session, runner: Runner, who: Principal, task_id: str, comment: Any = None) -> HumanTask:
    """The delegate or a signer added before hands the task on: to the next such signer, else back to its owner."""
    note = comment_text(comment)
    task, instance = open_task(session, runner, who, task_id, "resolve", "complete")
    if task.delegation not in (DELEGATED, BEFORE) or task.assignee != who.username:
        raise Conflict(f"task '{task.id}' is not delegated to you; there is nothing to resolve", field="action")
    queue = list(task.signers or [])
    if task.delegation == BEFORE and queue:
        task.assignee, task.signers = queue[0], queue[1:] or None
    else:
        task.assignee, task.owner, task.delegation, task.signers = task.owner, None, None, None
    task_event(session, runner, instance, task, who.username, EventKind.TASK_RESOLVED, assignee=task.assignee,
               comment=note)
    return task


def _signers(session: Session, who: Principal, task: HumanTask, users: Any) -> list[str]:
    if not isinstance(users, list) or not users or len(users) > MAX_SIGNERS:
        raise BadRequest(f"users must be a list of 1 to {MAX_SIGNERS} user names", field="users")
    names = [_active_user(session, name, "users").username for name in users]
    if len(set(names)) != len(names):
        raise BadRequest("users names someone twice", field="users")
    if who.username in names:
        raise BadRequest("you cannot add yourself as a signer", field="users")
    if task.assignee in names:
        raise BadRequest(f"'{task.assignee}' already holds the task", field="users")
    return names


def add_signers(session: Session, runner: Runner, who: Principal, task_id: str, users: Any, mode: Any,
                comment: Any = None) -> HumanTask:
    """加签. before: the signers act first (each resolves), then the task comes back to `who`.
    after: when `who` completes, the signers act in turn on the same step; the last one's completion
    moves the process on, with every signer's decision recorded. parallel: each signer gets a part of the
    step to complete beside `who`, in any order (server/services/cosigners.py)."""
    note = comment_text(comment)
    if mode not in (BEFORE, AFTER, PARALLEL):
        raise BadRequest("mode must be before, after or parallel", field="mode")
    task, instance = open_task(session, runner, who, task_id, "add_signers", "complete")
    not_delegated(task, "given more signers")
    if task.element.get("recordForm"):  # each signer's submission would write the record, a rejection undo none
        raise Conflict(f"task '{task.id}' has a record form: it cannot be given more signers (each signer would "
                       "write the record before the step is decided)", field="mode")
    if task.assignee != who.username:
        raise Conflict(f"claim task '{task.id}' before adding signers to it", field="action")
    names = _signers(session, who, task, users)
    beside = {row.assignee for row in open_cosigners(session, task)}
    if beside & set(names):
        raise BadRequest(f"'{sorted(beside & set(names))[0]}' already signs beside you", field="users")
    if mode == PARALLEL:
        add_beside(session, runner, instance, task, who.username, names)
    elif task.delegation == PARALLEL:
        raise Conflict(f"task '{task.id}' has signers beside its assignee; add more of them (parallel), not "
                       f"{mode}", field="mode")
    elif mode == BEFORE:
        task.owner, task.assignee, task.delegation = who.username, names[0], BEFORE
        task.signers = names[1:] or None
    else:
        task.delegation, task.signers = AFTER, [*(task.signers or []), *names]
    task_event(session, runner, instance, task, who.username, EventKind.TASK_SIGNER_ADDED, mode=mode, users=names,
               assignee=task.assignee, comment=note)
    return task


def urge(session: Session, runner: Runner, who: Principal, task_id: str, comment: Any = None) -> HumanTask:
    """催办: remind the task's assignee (or candidates); by the initiator or someone who acted on the instance,
    at most once an hour per task."""
    note = comment_text(comment)
    task, instance = runner.lock_task(session, task_id)
    involved = who.has("admin") or instance.started_by == who.username or session.scalar(
        select(HumanTask.id).where(HumanTask.instance_id == instance.id, HumanTask.completed_by == who.username)
        .limit(1)) is not None
    if not involved:
        raise Forbidden(f"only the initiator or an earlier approver of this request may urge task '{task.id}'")
    if task.status != "open" or instance.status != "running":
        raise Conflict(f"task '{task.id}' is {task.status}; only an open task can be urged")
    require_allowed(session, instance, task, "urge")
    now = utcnow()
    if task.urged_at is not None and now - task.urged_at < URGE_INTERVAL:
        raise Conflict(f"task '{task.id}' was urged at {task.urged_at.isoformat(timespec='minutes')} UTC; "
                       "it can be urged once an hour", field="action")
    to = [task.assignee] if task.assignee else task.candidate_users
    task.urged_at = now
    task_event(session, runner, instance, task, who.username, EventKind.TASK_URGED, name=task.name, to=to,
               groups=[] if task.assignee else task.candidate_groups, comment=note)
    return task


def _earlier_steps(session: Session, task: HumanTask) -> list[tuple[str, str]]:
    """(element id, name) of the request's completed user steps this one could go back to, latest first."""
    rows = session.execute(select(HumanTask.element_id, HumanTask.name).where(
        HumanTask.instance_id == task.instance_id, HumanTask.status == "completed",
        HumanTask.element_id != task.element_id).order_by(HumanTask.completed_at.desc()))
    return list({element: (element, name or element) for element, name in rows}.values())


def _countersign(session: Session, task: HumanTask) -> dict[str, Any] | None:
    """Who signs beside whom on the task page (None: not a countersigned step)."""
    if task.signs_for is not None:
        step_row = session.get(HumanTask, task.signs_for)
        return {"owner": step_row.assignee if step_row else None, "waiting": [], "held": False}
    if task.delegation != PARALLEL:
        return None
    return {"owner": None, "waiting": [r.assignee for r in open_cosigners(session, task)],
            "held": bool((task.data or {}).get("held")) and task.status == "open"}


def page_actions(session: Session, who: Principal, task: HumanTask) -> dict[str, Any]:
    """Which approval buttons the task page shows `who` (the actions check everything again when pressed)."""
    instance = task.instance
    live = task.status == "open" and instance.status == "running"
    allowed = allowed_actions(task)
    held = task.delegation in (DELEGATED, BEFORE)
    works = live and not held and can_work_on(who, task)
    acted = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.completed_by == who.username).limit(1)) is not None
    own = works and task.signs_for is None  # a signer beside the assignee only completes, returns or copies
    return {
        "transfer": own and allowed["transfer"],
        "delegate": own and allowed["delegate"] and task.delegation != PARALLEL,
        "add_signers": own and allowed["add_signers"] and task.assignee == who.username,
        "countersign": _countersign(session, task),
        "return_to": _earlier_steps(session, task) if works and allowed["return"] else [],
        "return": works and allowed["return"],
        "cc": works and allowed["cc"],
        "resolve": live and held and task.assignee == who.username,
        "urge": live and allowed["urge"] and (instance.started_by == who.username or acted or who.has("admin")),
        "withdraw": live and allowed["withdraw"] and (instance.started_by == who.username or acted),
    }
