"""What needs attention across the company now: instances by state, open and overdue tasks, recent
deployments (the admin home shows these, each linking to the list behind it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import ADMIN_UI_ROLES, Principal, require_role
from server.db import utcnow
from server.events import InstanceStatus, TaskStatus
from server.models import Deployment, HumanTask, ProcessInstance


def attention_counts(session: Session, who: Principal) -> dict[str, int]:
    require_role(who, *ADMIN_UI_ROLES)
    now = utcnow()
    by_status = dict(session.execute(
        select(ProcessInstance.status, func.count())
        .where(ProcessInstance.status.in_((InstanceStatus.RUNNING, InstanceStatus.ERROR, InstanceStatus.SUSPENDED)))
        .group_by(ProcessInstance.status)
    ).all())
    open_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == TaskStatus.OPEN))
    overdue = session.scalar(select(func.count()).select_from(HumanTask)
                             .where(HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now))
    deployments = session.scalar(select(func.count()).select_from(Deployment)
                                 .where(Deployment.deployed_at >= now - timedelta(days=7)))
    return {"running": by_status.get(InstanceStatus.RUNNING, 0), "error": by_status.get(InstanceStatus.ERROR, 0),
            "suspended": by_status.get(InstanceStatus.SUSPENDED, 0), "open_tasks": open_tasks or 0,
            "overdue_tasks": overdue or 0, "deployments_week": deployments or 0}
