"""Process models: versions, upload and deploy, diagrams and XML, decision tables, starting instances."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import func, select

from admin.access import RoleGuard, database, principal, runner
from admin.dmn_tables import decision_table
from admin.feedback import describe, json_object, pretty
from server.analytics import heatmap
from server.auth.permissions import DEPLOYERS
from server.errors import BadRequest, BomsError
from server.events import InstanceStatus
from server.models import DecisionVersion, ProcessInstance, ProcessVersion
from server.queries import ID
from server.security_headers import stored_xml
from server.services.deployments import UploadedFile, deploy_by
from server.services.processes import start


def _deploy_summary(summary: dict[str, Any]) -> str:
    if not summary["changed"]:
        return _("Nothing changed: every file is identical to its latest deployed version.")
    parts = [f"{p['key']} version {p['version']}" for p in summary["processes"] if p["created"]]
    parts += [f"decision {d['key']} version {d['version']}" for d in summary["decisions"] if d["created"]]
    return "Deployed " + ", ".join(parts) + "."


class ProcessModelsView(RoleGuard, BaseView):
    read_roles = DEPLOYERS
    write_roles = DEPLOYERS

    @expose("/")
    def index(self) -> Any:
        with database().read() as session:
            versions = list(session.scalars(select(ProcessVersion).where(ProcessVersion.is_latest)
                                            .order_by(ProcessVersion.key)))
            counts = dict(session.execute(select(ProcessInstance.process_key, func.count())
                                          .group_by(ProcessInstance.process_key)).all())
            running = dict(session.execute(select(ProcessInstance.process_key, func.count())
                                           .where(ProcessInstance.status == InstanceStatus.RUNNING)
                                           .group_by(ProcessInstance.process_key)).all())
            decisions = list(session.scalars(select(DecisionVersion).where(DecisionVersion.is_latest)
                                             .order_by(DecisionVersion.key)))
        return self.render("admin/boms/models.html", versions=versions, counts=counts, running=running,
                           decisions=decisions)

    @expose("/deploy", methods=("POST",))
    def deploy(self) -> Any:
        files = [UploadedFile(f.filename or "upload", f.read()) for f in request.files.getlist("file") if f.filename]
        if not files:
            flash(_("Choose one or more .bpmn or .dmn files to deploy."), "danger")
            return redirect(url_for(".index"))
        who = principal()
        try:
            with database().write() as session:
                summary = deploy_by(session, who, files, current_app.config["BOMS"].allow_python_scripts)
        except BomsError as exc:
            flash(_("Deployment refused, nothing was deployed: %(reason)s", reason=describe(exc)), "danger")
            return redirect(url_for(".index"))
        flash(_deploy_summary(summary), "success")
        return redirect(url_for(".index"))

    @expose("/<key>/")
    def versions(self, key: str) -> Any:
        with database().read() as session:
            rows = list(session.scalars(select(ProcessVersion).where(ProcessVersion.key == key)
                                        .order_by(ProcessVersion.version.desc())))
            if not rows:
                abort(404)
            counts = dict(session.execute(select(ProcessInstance.version_id, func.count())
                                          .where(ProcessInstance.process_key == key)
                                          .group_by(ProcessInstance.version_id)).all())
        return self.render("admin/boms/model_versions.html", key=key, rows=rows, counts=counts)

    def _version(self, version_id: int) -> tuple[ProcessVersion, list[DecisionVersion]]:
        with database().read() as session:
            row = session.get(ProcessVersion, version_id)
            if row is None:
                abort(404)
            decisions = list(session.scalars(select(DecisionVersion)
                                             .where(DecisionVersion.id.in_(row.decision_ids or [0]))))
            return row, decisions

    @expose(f"/version/<{ID}:version_id>")
    def version(self, version_id: int) -> Any:
        row, decisions = self._version(version_id)
        with database().read() as session:
            xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id))
        example = {name: (prop.get("default") if "default" in prop else None)
                   for name, prop in ((row.start_form or {}).get("properties") or {}).items()}
        return self.render("admin/boms/model_version.html", row=row, xml=xml, decisions=decisions,
                           example=pretty(example) if example else "{}",
                           variables=request.args.get("variables"), business_key=request.args.get("business_key"))

    @expose(f"/version/<{ID}:version_id>/heatmap")
    def heatmap(self, version_id: int) -> Any:
        """The version's diagram with its heatmap; a bad filter or date is said on the page (400)."""
        row, _decisions = self._version(version_id)
        form = {name: request.args.get(name, "") for name in ("from", "to", "filter", "metric")}
        args = {name: value for name, value in form.items() if value.strip()}
        figures, problem = None, None
        try:
            with database().read() as session:
                figures = heatmap.heatmap(session, principal(), row.key, {**args, "version": str(row.version)})
        except BadRequest as exc:
            problem = describe(exc)
        page = self.render("admin/boms/model_heatmap.html", row=row, form=form, figures=figures, problem=problem,
                           metric=(figures or {}).get("metric", "duration"))
        return (page, 400) if problem else page

    @expose(f"/version/<{ID}:version_id>/xml")
    def version_xml(self, version_id: int) -> Any:
        with database().read() as session:
            xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id))
        if xml is None:
            abort(404)
        return stored_xml(xml, f"version-{version_id}.bpmn", **{"Cache-Control": "private, max-age=300"})

    @expose(f"/decision/<{ID}:decision_id>")
    def decision(self, decision_id: int) -> Any:
        with database().read() as session:
            row = session.get(DecisionVersion, decision_id)
            if row is None:
                abort(404)
            table = decision_table(row.dmn_xml, row.key)
        return self.render("admin/boms/decision.html", row=row, table=table)

    @expose(f"/version/<{ID}:version_id>/start", methods=("POST",))
    def start_instance(self, version_id: int) -> Any:
        row, _decisions = self._version(version_id)
        text = request.form.get("variables", "")
        business_key = request.form.get("business_key", "").strip() or None
        who = principal()
        try:
            variables = json_object(text, "variables")
            with database().write() as session:
                instance = start(session, runner(), who, row.key, variables, business_key, row.version)
                instance_id = instance.id
        except BomsError as exc:
            flash(_("The instance was not started: %(reason)s", reason=describe(exc)), "danger")
            return redirect(url_for(".version", version_id=version_id, variables=text,
                                    business_key=business_key or ""))
        flash(_("Started instance %(id)s.", id=instance_id), "success")
        if who.reads_everything:
            return redirect(url_for("admin_instances.detail", instance_id=instance_id))
        return redirect(url_for("inbox.instance", instance_id=instance_id))


