"""The task page: its form, claim / unclaim, and completion with per-field messages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.permissions import can_claim, can_work_on
from server.auth.session import web_principal
from server.db import utcnow
from server.errors import BomsError, Conflict, EngineError, FormInvalid, StateUnreadable
from server.forms.render import fields, parse_submission, shown_again
from server.inbox import bp
from server.inbox.files import receive_uploads
from server.inbox.messages import engine_text, field_messages, task_conflict_text
from server.inbox.pages import error_page, local_referrer, reading, runner, writing
from server.services import files as file_store
from server.services import inbox as inbox_service
from server.services import tasks as service


def _render(task_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
            status: int = 200) -> Any:
    who = web_principal()
    with reading() as session:
        try:
            task = service.get_task(session, who, task_id)
        except BomsError as exc:
            return error_page(exc)
        element = service.task_element(task)
        form = service.task_form(task)
        form_fields = fields(form, values if values is not None else None, errors, element.get("uiSchema"))
        decision = next((f for f in form_fields if f.decision), None)
        return render_template(
            "inbox/task.html", task=task, instance=task.instance, element=element,
            fields=[f for f in form_fields if f is not decision], decision=decision, errors=errors or {},
            events=inbox_service.history_events(session, task.instance),
            may_work=task.status == "open" and can_work_on(who, task),
            may_claim=task.status == "open" and not task.assignee and can_claim(who, task),
            may_unclaim=task.status == "open" and task.assignee == who.username, now=utcnow(),
        ), status


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str) -> Any:
    return _render(task_id)


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete_task(task_id: str) -> Any:
    who = web_principal()
    with reading() as session:
        try:
            form = service.task_form(service.get_task(session, who, task_id))
        except BomsError as exc:
            return error_page(exc)
    variables = parse_submission(form, request.form)
    typed = shown_again(variables, request.form)  # if the form comes back
    uploads, too_large = receive_uploads(form)
    if too_large:
        return _render(task_id, typed, too_large, 413)
    try:
        # The files are recorded in the completion's transaction; if it fails they are deleted.
        with file_store.discarded_on_error(uploads), writing() as session:
            done = service.complete(session, runner(), who, task_id,
                                    {**variables, **{u.field: u.value() for u in uploads}}, with_files=True)
            file_store.record(session, uploads, done.instance_id, done.id, who.username)
            following = service.next_tasks(session, who, done.instance_id)
            stopped = done.instance.status == "error"
    except FormInvalid as exc:
        return _render(task_id, typed, field_messages(exc.details["fields"]), 422)
    except EngineError as exc:
        with writing() as session:
            service.record_failed_completion(session, who, task_id, exc)
        flash(engine_text(exc), "danger")
        return _render(task_id, typed, None, 422)
    except StateUnreadable as exc:  # not a race: retrying will not help
        return error_page(exc)
    except Conflict:
        with reading() as session:
            flash(task_conflict_text(session, who.username, task_id), "warning")
        return redirect(url_for("inbox.inbox"))
    except BomsError as exc:
        return error_page(exc)
    flash(_("Task completed: %(name)s", name=done.name or done.element_id), "success")
    if stopped:
        # The engine keeps a failed step as an incident: the task is done, the process waits for a fix.
        flash(_("The process stopped with an error after this task. An administrator can see what failed "
                "in its history and retry it."), "warning")
    if following:
        return redirect(url_for("inbox.task", task_id=following[0].id))
    return redirect(url_for("inbox.inbox"))


def _task_action(task_id: str, action: Any, message: str) -> Any:
    who = web_principal()
    try:
        with writing() as session:
            action(session, runner(), who, task_id)
    except Conflict:
        with reading() as session:
            flash(task_conflict_text(session, who.username, task_id), "warning")
    except BomsError as exc:
        return error_page(exc)
    else:
        flash(message, "success")
    return redirect(local_referrer(url_for("inbox.task", task_id=task_id)))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim_task(task_id: str) -> Any:
    return _task_action(task_id, service.claim, _("The task is yours now."))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim_task(task_id: str) -> Any:
    return _task_action(task_id, service.unclaim, _("The task is back in its group."))
