"""Start a process: the processes this user may start, and each one's start form."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.permissions import require_can_start
from server.auth.session import web_principal
from server.errors import BomsError, Forbidden, FormInvalid
from server.forms.render import fields, parse_submission, shown_again
from server.inbox import bp
from server.inbox.files import receive_uploads
from server.inbox.messages import error_text, field_messages
from server.inbox.pages import error_page, reading, runner, writing
from server.services import files as file_store
from server.services import processes
from server.services import tasks as task_service


def _may_start(who: Any, version: Any) -> bool:
    try:
        require_can_start(who, version)
    except Forbidden:
        return False
    return True


@bp.get("/start")
@login_required
def start() -> Any:
    who = web_principal()
    with reading() as session:
        versions = [v for v in processes.list_versions(session, None, latest_only=True) if _may_start(who, v)]
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
    who = web_principal()
    with reading() as session:
        try:
            schema = processes.find_version(session, key).start_form
        except BomsError as exc:
            return error_page(exc)
    variables = parse_submission(schema, request.form)
    typed = shown_again(variables, request.form)  # if the form comes back
    business_key = request.form.get("businessKey", "").strip() or None
    uploads, too_large = receive_uploads(schema)
    if too_large:
        return _render_form(key, typed, too_large, 413)
    try:
        # The files are recorded in the start's transaction; if it fails they are deleted.
        with file_store.discarded_on_error(uploads), writing() as session:
            instance = processes.start(session, runner(), who, key,
                                       {**variables, **{u.field: u.value() for u in uploads}}, business_key,
                                       with_files=True)
            file_store.record(session, uploads, instance.id, None, who.username)
            mine = task_service.next_tasks(session, who, instance.id)
    except FormInvalid as exc:
        return _render_form(key, typed, field_messages(exc.details["fields"]), 422)
    except BomsError as exc:
        flash(error_text(exc), "danger")
        return _render_form(key, typed, None, exc.status)
    flash(_("Started: %(name)s", name=instance.business_key or key), "success")
    if mine:
        return redirect(url_for("inbox.task", task_id=mine[0].id))
    return redirect(url_for("inbox.instance", instance_id=instance.id))
