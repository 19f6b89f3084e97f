"""Starting a process from a record's page (the record page lists the processes bound to its type)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.session import web_principal
from server.errors import BomsError
from server.inbox import bp
from server.inbox.pages import error_page, runner, writing
from server.services import record_tasks


@bp.post("/records/<type_key>/<int:record_id>/start")
@login_required
def start_from_record(type_key: str, record_id: int) -> Any:
    try:
        with writing() as session:
            started = record_tasks.start_from_record_page(session, runner(), web_principal(), type_key, record_id,
                                                          request.form.get("process"))
    except BomsError as exc:
        return error_page(exc)
    flash(_("Started %(process)s.", process=started.name), "success")
    if started.next_task_id:
        return redirect(url_for("inbox.task", task_id=started.next_task_id))
    return redirect(url_for("inbox.instance", instance_id=started.instance_id))
