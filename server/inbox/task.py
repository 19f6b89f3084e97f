"""The task page: its form, claim / unclaim, and completion with per-field messages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.session import web_principal
from server.db import current_database, utcnow
from server.errors import BomsError, Conflict, EngineError, StateUnreadable
from server.forms.render import fields
from server.inbox import bp
from server.inbox.diagram_trace import diagram_trace
from server.inbox.files import too_large_messages, upload_policy
from server.inbox.pages import error_page, local_referrer, reading, runner, writing
from server.inbox.record_display import localized_schema
from server.inbox.texts import engine_text, field_messages, task_conflict_text
from server.services import submissions, task_actions
from server.services import tasks as service
from server.services.instance_page import diagram_markers


def _render(task_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
            status: int = 200) -> Any:
    with reading() as session:
        try:
            page = service.task_page(session, web_principal(), task_id)
        except BomsError as exc:
            return error_page(exc)
        form = page.form
        if "x-record" in form:  # a record type's form: labels, help and options in the reader's language
            form = localized_schema(form, form["x-record"]["fields"])
        form_fields = fields(form, values if values is not None else None, errors,
                             page.element.get("uiSchema"))
        decision = next((f for f in form_fields if f.decision), None)
        actions = task_actions.page_actions(session, web_principal(), page.task)
        instance = page.task.instance
        completed, active, taken = diagram_markers(instance.visited_elements, instance.active_elements,
                                                   instance.version.elements)
        return render_template(
            "inbox/task.html", task=page.task, instance=page.task.instance, element=page.element,
            fields=[f for f in form_fields if f is not decision], decision=decision, errors=errors or {},
            events=page.events, may_work=page.may_work, may_claim=page.may_claim, may_unclaim=page.may_unclaim,
            actions=actions, variables=page.variables, now=utcnow(), completed=completed, active=active, taken=taken,
            trace=diagram_trace(page.events),
        ), status


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str) -> Any:
    return _render(task_id)


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete_task(task_id: str) -> Any:
    who = web_principal()
    try:
        outcome = submissions.complete_from_form(current_database(), runner(), who, task_id, request.form,
                                                 request.files, upload_policy())
    except StateUnreadable as exc:  # not a race: retrying will not help
        return error_page(exc)
    except Conflict:
        with reading() as session:
            flash(task_conflict_text(session, who.username, task_id), "warning")
        return redirect(url_for("inbox.inbox"))
    except BomsError as exc:
        return error_page(exc)
    if outcome.too_large:
        return _render(task_id, outcome.values, too_large_messages(outcome.too_large), 413)
    if outcome.errors:
        return _render(task_id, outcome.values, field_messages(outcome.errors), 422)
    if isinstance(outcome.failure, EngineError):
        flash(engine_text(outcome.failure), "danger")
        return _render(task_id, outcome.values, None, 422)
    if outcome.waiting_for:
        flash(_("Signed: %(name)s. The step waits for the other signers: %(users)s.", name=outcome.name,
                users=", ".join(outcome.waiting_for)), "success")
    else:
        flash(_("Task completed: %(name)s", name=outcome.name), "success")
    if outcome.stopped:
        # The engine keeps a failed step as an incident: the task is done, the process waits for a fix.
        flash(_("The process stopped with an error after this task. An administrator can see what failed "
                "in its history and retry it."), "warning")
    if outcome.next_task_id:
        return redirect(url_for("inbox.task", task_id=outcome.next_task_id))
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
