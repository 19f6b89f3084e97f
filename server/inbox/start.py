"""Start a process: the processes this user may start, and each one's start form."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.permissions import can_start, require_can_start
from server.auth.session import web_principal
from server.db import current_database
from server.errors import BomsError
from server.forms.render import fields
from server.inbox import bp
from server.inbox.files import too_large_messages, upload_policy
from server.inbox.pages import error_page, reading, runner
from server.inbox.texts import error_text, field_messages
from server.records.process_links import bound_start
from server.services import processes, submissions


@bp.get("/start")
@login_required
def start() -> Any:
    who = web_principal()
    with reading() as session:
        # A process started from a record is started from the record's page.
        versions = [v for v in processes.list_versions(session, None, latest_only=True)
                    if can_start(who, v) and not bound_start(v)]
        return render_template("inbox/start.html", versions=versions)


def _render_form(key: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> Any:
    who = web_principal()
    with reading() as session:
        try:
            version = processes.find_version(session, key)
            require_can_start(who, version)
        except BomsError as exc:
            return error_page(exc)
        return render_template("inbox/start_form.html", version=version, fields=fields(version.start_form, values,
                                                                                       errors),
                               business_key=(values or {}).get("businessKey", ""), errors=errors or {}), status


@bp.get("/start/<key>")
@login_required
def start_form(key: str) -> Any:
    return _render_form(key)


@bp.post("/start/<key>")
@login_required
def start_submit(key: str) -> Any:
    try:
        outcome = submissions.start_from_form(current_database(), runner(), web_principal(), key, request.form,
                                              request.files, upload_policy())
    except BomsError as exc:
        return error_page(exc)
    if outcome.too_large:
        return _render_form(key, outcome.values, too_large_messages(outcome.too_large), 413)
    if outcome.errors:
        return _render_form(key, outcome.values, field_messages(outcome.errors), 422)
    if outcome.failure is not None:
        flash(error_text(outcome.failure), "danger")
        return _render_form(key, outcome.values, None, outcome.failure.status)
    flash(_("Started: %(name)s", name=outcome.name), "success")
    if outcome.next_task_id:
        return redirect(url_for("inbox.task", task_id=outcome.next_task_id))
    return redirect(url_for("inbox.instance", instance_id=outcome.instance_id))
