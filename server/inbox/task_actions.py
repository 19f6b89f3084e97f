"""The approval buttons of the task and instance pages (return, transfer, delegate, resolve, add signers, CC,
urge, withdraw) and the inbox's batch approval: each form posts here (CSRF by Flask-WTF), is one service call,
and comes back to the page with a message in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from server.auth.session import web_principal
from server.db import current_database
from server.errors import BadRequest, BomsError, Conflict, Forbidden, PayloadTooLarge
from server.inbox import bp
from server.inbox.files import MB, store_root, upload_limit
from server.inbox.pages import error_page, local_referrer, reading, runner, writing
from server.inbox.texts import error_text
from server.services import action_files, substitutes, task_actions, task_batch, task_cc, task_return
from server.services import files as file_store

DONE: dict[str, Any] = {
    "return": _l("The task was sent back."),
    "transfer": _l("The task was transferred."),
    "delegate": _l("The task was delegated; it comes back to you when it is resolved."),
    "resolve": _l("The task was handed back."),
    "add_signers": _l("The signers were added."),
    "cc": _l("The people were copied on the request."),
    "urge": _l("A reminder was sent."),
}
# Why an action was refused, by the field the service named.
REFUSED: dict[str, Any] = {
    "user": _l("Choose an active user other than yourself and the current assignee."),
    "users": _l("Choose active users, each once, not yourself or the current assignee."),
    "groups": _l("One of the groups does not exist."),
    "to": _l("There is no earlier step of this request to send it back to."),
    "comment": _l("Please write a comment (at most 2,000 characters)."),
    "mode": _l("Choose whether the signers act before, after or beside you."),
    "action": _l("This step does not allow that now."),
    "decision": _l("Not every selected task offers this decision."),
    "tasks": _l("Select between 1 and 100 tasks."),
}


def _names(field: str) -> list[str]:
    return [part.strip() for part in request.form.get(field, "").replace("，", ",").split(",") if part.strip()]


def _refusal(exc: BomsError) -> str:
    field = exc.details.get("field")
    if isinstance(exc, BadRequest | Conflict) and field in REFUSED:
        return str(REFUSED[field])
    if isinstance(exc, Conflict) and "once an hour" in exc.message:
        return _("This task was urged less than an hour ago.")
    return error_text(exc)


def _act(action: str, call: Callable[[Any, Any, Any], Any], back: str, referrer: bool,
         task_id: str | None = None) -> Any:
    try:
        uploads = action_files.store_attachments(store_root(), f"action:{action}",
                                                 request.files.getlist("attachments"),
                                                 upload_limit()) if task_id else []
    except PayloadTooLarge:
        flash(_("Attach at most %(count)s files, each of at most %(size)s MB.", count=action_files.MAX_FILES,
                size=format_decimal(round(upload_limit() / MB, 1))), "danger")
        return redirect(local_referrer(back))
    try:
        # The files are recorded in the action's transaction; if it fails they are deleted.
        with file_store.discarded_on_error(uploads), writing() as session:
            call(session, runner(), web_principal())
            if task_id:
                action_files.attach(session, runner(), web_principal(), task_id, action, uploads)
    except Forbidden as exc:
        return error_page(exc)
    except BomsError as exc:
        flash(_refusal(exc), "danger")
    else:
        flash(str(DONE[action]), "success")
        if not referrer:
            return redirect(back)
    return redirect(local_referrer(back))


def _task_back(task_id: str) -> str:
    return url_for("inbox.task", task_id=task_id)


def _form(name: str) -> str | None:
    return request.form.get(name) or None


@bp.post("/tasks/<task_id>/approval/<action>")
@login_required
def approval_action(task_id: str, action: str) -> Any:
    calls: dict[str, Callable[[Any, Any, Any], Any]] = {
        "return": lambda s, r, w: task_return.return_task(s, r, w, task_id, _form("to"), _form("comment")),
        "transfer": lambda s, r, w: task_actions.transfer(s, r, w, task_id, _form("user"), _form("comment")),
        "delegate": lambda s, r, w: task_actions.delegate(s, r, w, task_id, _form("user"), _form("comment")),
        "resolve": lambda s, r, w: task_actions.resolve(s, r, w, task_id, _form("comment")),
        "add_signers": lambda s, r, w: task_actions.add_signers(s, r, w, task_id, _names("users"), _form("mode"),
                                                                _form("comment")),
        "cc": lambda s, r, w: task_cc.cc(s, r, w, task_id, _names("users"), _names("groups"), _form("comment")),
        "urge": lambda s, r, w: task_actions.urge(s, r, w, task_id, _form("comment")),
    }
    if action not in calls:
        return error_page(BadRequest(f"unknown action '{action}'"))
    # After a return, transfer or delegation the task is no longer this user's to work: go on to the inbox.
    hands_off = action in ("return", "transfer", "delegate")
    return _act(action, calls[action], url_for("inbox.inbox") if hands_off else _task_back(task_id), not hands_off,
                task_id)


@bp.post("/instances/<instance_id>/withdraw")
@login_required
def withdraw_instance(instance_id: str) -> Any:
    try:
        with writing() as session:
            outcome, _instance = task_return.withdraw(session, runner(), web_principal(), instance_id,
                                                      _form("comment"))
    except Forbidden as exc:
        return error_page(exc)
    except BomsError as exc:
        flash(_("It can no longer be withdrawn: the next step was already acted on.")
              if isinstance(exc, Conflict) else _refusal(exc), "danger")
    else:
        flash(_("The request was withdrawn.") if outcome == "cancelled"
              else _("Your approval was withdrawn; the step is yours again."), "success")
    return redirect(url_for("inbox.instance", instance_id=instance_id))


@bp.post("/instances/<instance_id>/modify")
@login_required
def modify_instance(instance_id: str) -> Any:
    try:
        with writing() as session:
            task_return.modify_instance(session, runner(), web_principal(), instance_id,
                                        [request.form.get("cancel", "")], [request.form.get("startBefore", "")])
    except Forbidden as exc:
        return error_page(exc)
    except (BadRequest, Conflict) as exc:
        flash(_("That element is not on the token's branch nor before the branches split: a parallel join "
                "would wait for ever.") if exc.details.get("field") == "startBefore" and isinstance(exc, Conflict)
              else _("Choose an active element and an activity, gateway or event a token can be placed before."),
              "danger")
    except BomsError as exc:
        flash(error_text(exc), "danger")
    else:
        flash(_("The token was moved."), "success")
    return redirect(url_for("inbox.instance", instance_id=instance_id))


@bp.post("/inbox/batch")
@login_required
def batch_complete() -> Any:
    try:
        results = task_batch.batch_complete(current_database(), runner(), web_principal(),
                                            request.form.getlist("task"), None, _form("decision"))
    except BomsError as exc:
        flash(_refusal(exc), "danger")
    else:
        done = sum(1 for r in results if r["completed"])
        flash(_("%(done)s of %(total)s tasks completed.", done=done, total=len(results)),
              "success" if done == len(results) else "warning")
    return redirect(local_referrer(url_for("inbox.inbox")))


@bp.get("/substitute")
@login_required
def substitute() -> Any:
    with reading() as session:
        current = substitutes.get_substitute(session, web_principal())
    return render_template("inbox/substitute.html", current=current)


@bp.post("/substitute")
@login_required
def set_substitute() -> Any:
    clear = request.form.get("clear") == "1"
    try:
        with writing() as session:
            substitutes.set_substitute(session, web_principal(), None if clear else (_form("user") or ""),
                                       _form("from"), _form("until"))
    except Forbidden as exc:
        return error_page(exc)
    except BomsError as exc:
        flash(str(SUBSTITUTE_REFUSED.get(exc.details.get("field"), REFUSED["user"])), "danger")
    else:
        flash(_("Your substitute was cleared.") if clear else _("Your substitute was saved."), "success")
    return redirect(url_for("inbox.substitute"))


SUBSTITUTE_REFUSED: dict[str, Any] = {
    "user": _l("Choose an active user other than yourself."),
    "from": _l("Enter the first day (YYYY-MM-DD)."),
    "until": _l("Enter the last day, on or after the first and within a year."),
}
