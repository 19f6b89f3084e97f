"""The admin home: what needs attention now, each number linking to the list behind it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_admin import AdminIndexView, expose
from sqlalchemy import func, select

from admin.access import ADMIN_ROLES, RoleGuard, database
from server.db import utcnow
from server.models import Deployment, HumanTask, ProcessInstance


def home_counts() -> dict[str, int]:
    now = utcnow()
    with database().read() as session:
        by_status = dict(session.execute(
            select(ProcessInstance.status, func.count())
            .where(ProcessInstance.status.in_(("running", "error", "suspended")))
            .group_by(ProcessInstance.status)
        ).all())
        open_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
        overdue = session.scalar(select(func.count()).select_from(HumanTask)
                                 .where(HumanTask.status == "open", HumanTask.due_at < now))
        deployments = session.scalar(select(func.count()).select_from(Deployment)
                                     .where(Deployment.deployed_at >= now - timedelta(days=7)))
    return {"running": by_status.get("running", 0), "error": by_status.get("error", 0),
            "suspended": by_status.get("suspended", 0), "open_tasks": open_tasks or 0,
            "overdue_tasks": overdue or 0, "deployments_week": deployments or 0}


class HomeView(RoleGuard, AdminIndexView):
    read_roles = ADMIN_ROLES

    @expose("/")
    def index(self) -> Any:
        return self.render("admin/boms/home.html", counts=home_counts())
