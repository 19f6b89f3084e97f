"""Human tasks across the company: every open task, overdue first; reassign and change the due date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import case, select

from admin.access import RoleGuard, database, principal, runner
from admin.instance_actions import run_one
from admin.views.instances import back_to
from server.db import utcnow
from server.events import TaskStatus
from server.models import HumanTask
from server.queries import QueryArgs, offset_page
from server.services import instance_admin as ops

PAGE_SIZE = 50


def parse_due(text: str) -> datetime | None:
    """A datetime-local value (UTC, as the page says) or an empty box for no due date."""
    text = text.strip()
    if not text:
        return None
    return datetime.fromisoformat(text)


class TasksView(RoleGuard, BaseView):
    read_roles = ("admin",)
    write_roles = ("admin",)

    @expose("/")
    def index(self) -> Any:
        now = utcnow()
        overdue_only = request.args.get("overdue") == "1"
        read = QueryArgs(request.args, strict=False)
        process, assignee = read.text("process", "") or "", read.text("assignee", "") or ""
        page_number = read.integer("page", 1) or 1
        for problem in read.problems:
            flash(_("Filter ignored: %(problem)s.", problem=problem.message), "warning")
        clauses = [HumanTask.status == TaskStatus.OPEN]
        if overdue_only:
            clauses.append(HumanTask.due_at < now)
        if process:
            clauses.append(HumanTask.process_key == process)
        if assignee:
            clauses.append(HumanTask.assignee.is_(None) if assignee == "-" else HumanTask.assignee == assignee)
        overdue_first = case((HumanTask.due_at < now, 0), else_=1)
        with database().read() as session:
            page = offset_page(session, select(HumanTask).where(*clauses),
                               [overdue_first, HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id],
                               page_number, PAGE_SIZE, clamp=True)
        args = {k: v for k, v in (("overdue", "1" if overdue_only else ""), ("process", process),
                                  ("assignee", assignee)) if v}
        return self.render("admin/boms/tasks.html", rows=page.items, total=page.total, page=page.page,
                           pages=page.pages, now=now, args=args, overdue_only=overdue_only, process=process,
                           assignee=assignee)

    @expose("/<task_id>/reassign", methods=("POST",))
    def reassign(self, task_id: str) -> Any:
        assignee = request.form.get("assignee", "").strip() or None
        error = run_one(lambda s: ops.reassign(s, runner(), principal(), task_id, assignee))
        if error:
            flash(_("Task not reassigned: %(error)s", error=error), "danger")
        else:
            flash(_("Task assigned to %(who)s.", who=assignee) if assignee
                  else _("Task unassigned: its candidates may claim it."), "success")
        return redirect(back_to(url_for(".index")))

    @expose("/<task_id>/due", methods=("POST",))
    def change_due(self, task_id: str) -> Any:
        try:
            due = parse_due(request.form.get("due_at", ""))
        except ValueError:
            flash(_("The due date must be a date and time like 2026-12-31T17:00."), "danger")
            return redirect(back_to(url_for(".index")))
        error = run_one(lambda s: ops.set_due(s, runner(), principal(), task_id, due))
        if error:
            flash(_("Due date not changed: %(error)s", error=error), "danger")
        else:
            flash(_("Due date set to %(due)s UTC.", due=f"{due:%Y-%m-%d %H:%M}") if due else _("Due date removed."),
                  "success")
        return redirect(back_to(url_for(".index")))
