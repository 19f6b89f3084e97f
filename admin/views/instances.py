"""Process instances: filtered list with bulk operations, and the instance page with its diagram,
variables and their history, timeline, open tasks and incident."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import select

from admin.access import RoleGuard, database, principal, runner
from admin.feedback import json_value, pretty
from admin.instance_actions import MAX_BULK, OPERATIONS, run_bulk, run_one
from admin.instance_query import InstanceQuery, page_of_instances
from server.auth.redirects import local_path
from server.errors import Forbidden, NotFound
from server.models import STATUSES, ProcessVersion
from server.queries import ID_MAX, parse_int
from server.services import inbox as inbox_service
from server.services import instance_admin as ops
from server.services import instance_page
from server.services.variable_history import variable_history


def back_to(default: str) -> str:
    """Return to the page a form came from, if it is one of ours (never an open redirect)."""
    return local_path(request.form.get("next", ""), default, prefix="/admin/")


class InstancesView(RoleGuard, BaseView):
    read_roles = ("admin", "auditor")
    write_roles = ("admin",)

    @expose("/")
    def index(self) -> Any:
        query = InstanceQuery.from_args(request.args)
        for problem in query.problems:
            flash(_("Filter ignored: %(problem)s.", problem=problem), "warning")
        with database().read() as session:
            rows, total, pages = page_of_instances(session, query)
            versions = {v.id: v.version for v in session.scalars(
                select(ProcessVersion).where(ProcessVersion.id.in_({r.version_id for r in rows} or {0})))}
            keys = list(session.scalars(select(ProcessVersion.key).where(ProcessVersion.is_latest)
                                        .order_by(ProcessVersion.key)))
        return self.render("admin/boms/instances.html", rows=rows, total=total, pages=pages, query=query,
                           versions=versions, keys=keys, statuses=STATUSES, operations=OPERATIONS,
                           can_write=self.can_write(), max_bulk=MAX_BULK)

    @expose("/bulk", methods=("POST",))
    def bulk(self) -> Any:
        action = request.form.get("action", "")
        ids = [i for i in request.form.getlist("ids") if i]
        back = back_to(url_for(".index"))
        if action not in OPERATIONS:
            flash(_("Unknown action '%(action)s'; choose one of %(known)s.", action=action,
                    known=", ".join(OPERATIONS)), "danger")
            return redirect(back)
        if not ids or len(ids) > MAX_BULK:
            flash(_("Select between 1 and %(n)s instances.", n=MAX_BULK), "warning")
            return redirect(back)
        result = run_bulk(action, ids)
        if result.done:
            flash(_("%(n)s instance(s) %(done)s.", n=len(result.done), done=_(OPERATIONS[action][1])), "success")
        for instance_id, message in result.failed:
            flash(f"{instance_id}: {message}", "danger")
        return redirect(back)

    @expose("/<instance_id>")
    def detail(self, instance_id: str) -> Any:
        with database().read() as session:
            try:
                view = instance_page.instance_view(session, principal(), instance_id)
            except NotFound:
                abort(404)
            except Forbidden:
                abort(403)
            instance = view.instance
            version = instance.version
            history = variable_history(session, principal(), instance_id)
            versions = list(session.scalars(select(ProcessVersion).where(ProcessVersion.key == instance.process_key)
                                            .order_by(ProcessVersion.version.desc())))
        errored = [instance.error["element"]] if instance.error and instance.error.get("element") else []
        return self.render("admin/boms/instance.html", view=view, instance=instance, version=version,
                           history=history, versions=versions, errored=errored, pretty=pretty,
                           can_write=self.can_write())

    @expose("/<instance_id>/operate", methods=("POST",))
    def operate(self, instance_id: str) -> Any:
        action = request.form.get("action", "")
        back = url_for(".detail", instance_id=instance_id)
        if action not in OPERATIONS:
            flash(_("Unknown action '%(action)s'.", action=action), "danger")
            return redirect(back)
        target = request.form.get("version_id", "")
        if action == "migrate" and target:
            version_id = parse_int(target, maximum=ID_MAX)
            if version_id is None:
                flash(_("Choose a version to migrate to."), "danger")
                return redirect(back)
            error = run_one(lambda s: ops.migrate(s, runner(), principal(), instance_id, version_id))
        else:
            operation = OPERATIONS[action][0]
            error = run_one(lambda s: operation(s, runner(), principal(), instance_id))
        if error:
            flash(_("Not %(done)s: %(error)s", done=_(OPERATIONS[action][1]), error=error), "danger")
        else:
            flash(_("Instance %(done)s.", done=_(OPERATIONS[action][1])), "success")
        return redirect(back)

    @expose("/<instance_id>/variables", methods=("POST",))
    def set_variable(self, instance_id: str) -> Any:
        name = request.form.get("name", "").strip()
        back = url_for(".detail", instance_id=instance_id)
        if not inbox_service.VARIABLE_NAME.match(name):
            flash(_("A variable name is letters, digits and _ (not starting with a digit)."), "danger")
            return redirect(back)
        value = json_value(request.form.get("value", ""))
        error = run_one(lambda s: ops.set_variables(s, runner(), principal(), instance_id, {name: value}))
        if error:
            flash(_("Variable not changed: %(error)s", error=error), "danger")
        else:
            flash(_("Variable %(name)s set to %(value)s.", name=name, value=pretty(value)), "success")
        return redirect(back)


