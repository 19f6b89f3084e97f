"""A record's page (values and history), its create and edit forms, and delete with a confirmation.

The forms are drawn by the task forms' renderer (server/forms/render.py) from the record type's JSON
Schema, narrowed to the fields the reader may write; what they submit goes through the records service
and its one validator, and a refused form comes back with what was typed and a message per field.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.permissions.records import Action
from server.auth.session import web_principal
from server.errors import BomsError, Conflict, FormInvalid
from server.forms.render import fields as form_fields
from server.forms.render import parse_submission, shown_again
from server.inbox import bp
from server.inbox import record_money_form as money_form
from server.inbox.files import store_root, upload_limit
from server.inbox.pages import error_page, reading, writing
from server.inbox.record_display import localized_schema, one_line_texts, tr
from server.inbox.texts import field_messages
from server.records import service, workspace
from server.records.files import Incoming
from server.rules import manual


def _form(kind: workspace.TypeView, action: Action, values: dict[str, Any] | None,
          errors: dict[str, str] | None) -> tuple[list[Any], dict[str, Any]]:
    schema = money_form.flat_schema(localized_schema(kind.schema(action), kind.fields), kind.fields)
    shown = form_fields(schema, money_form.flat_values(values, kind.fields),
                        money_form.flat_errors(errors, kind.fields))
    return one_line_texts(shown, kind.fields), schema


def _render_form(kind: workspace.TypeView, action: Action, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, record: dict[str, Any] | None = None,
                 status: int = 200, conflict: bool = False) -> Any:
    shown, _schema = _form(kind, action, values, errors)
    general = (errors or {}).get("fields")
    return render_template("records/form.html", kind=kind, fields=shown, record=record, errors=errors or {},
                           general=general, conflict=conflict, creating=action is Action.CREATE), status


def _uploads(kind: workspace.TypeView) -> dict[str, list[Incoming]]:
    """The files chosen in each attachment field of the form (an empty file input sends a nameless part)."""
    chosen = {}
    for f in kind.fields:
        parts = [p for p in request.files.getlist(f["key"]) if p.filename] if f["type"] == "attachment" else []
        if parts:
            chosen[f["key"]] = [Incoming(p.stream, p.filename, p.mimetype) for p in parts]
    return chosen


def _named_files(typed: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A refused edit's kept files shown by name again (the form sends only their ids)."""
    for key, value in typed.items():
        known = {i["fileId"]: i for i in record["fields"].get(key) or () if isinstance(i, dict) and "fileId" in i} \
            if isinstance(value, list) else {}
        if known:
            typed[key] = [known.get(i.get("fileId"), i) if isinstance(i, dict) else i for i in value]
    return typed


def _submitted(kind: workspace.TypeView, action: Action, clearing: bool) -> dict[str, Any]:
    """The form's values as the API takes them; on an edit an emptied input clears its field (null)."""
    _shown, schema = _form(kind, action, None, None)
    values = parse_submission(schema, request.form)
    if clearing:
        for key, prop in schema["properties"].items():
            if not prop.get("readOnly"):
                values.setdefault(key, None)
    return money_form.joined(values, kind.fields)


def _labelled(kind: workspace.TypeView, values: dict[str, Any]) -> workspace.TypeView:
    """The form coming back names the records its relation inputs were given (by their label)."""
    with reading() as session:
        return workspace.with_labels(session, web_principal(), kind, values)


@bp.get("/records/<type_key>/new")
@login_required
def new_record(type_key: str) -> Any:
    try:
        with reading() as session:
            kind = workspace.type_view(session, web_principal(), type_key, for_form=True)
    except BomsError as exc:
        return error_page(exc)
    if not kind.may_create:
        return render_template("inbox/error.html", message=_("You may not see or do this.")), 403
    return _render_form(kind, Action.CREATE)


@bp.post("/records/<type_key>/new")
@login_required
def create_record(type_key: str) -> Any:
    who = web_principal()
    try:
        with reading() as session:
            kind = workspace.type_view(session, who, type_key, for_form=True)
        values = _submitted(kind, Action.CREATE, clearing=False)
        with writing() as session:
            record = workspace.save_form(session, who, type_key, None, values, None, _uploads(kind),
                                         store_root(), upload_limit())
    except FormInvalid as exc:
        typed = shown_again(values, request.form)
        return _render_form(_labelled(kind, values), Action.CREATE, typed,
                            field_messages(exc.details.get("fields", {})), status=422)
    except BomsError as exc:
        return error_page(exc)
    flash(_("%(type)s %(id)s was created.", type=tr(kind.name), id=record["id"]), "success")
    return redirect(url_for("inbox.record_page", type_key=type_key, record_id=record["id"]))


@bp.get("/records/<type_key>/<int:record_id>")
@login_required
def record_page(type_key: str, record_id: int) -> Any:
    try:
        with reading() as session:
            screen = workspace.record_screen(session, web_principal(), type_key, record_id)
            rule_buttons = manual.buttons(session, web_principal(), type_key) if screen.may_update else []
    except BomsError as exc:
        return error_page(exc)
    return render_template("records/record.html", screen=screen, kind=screen.type, record=screen.record,
                           by_key={f["key"]: f for f in screen.type.fields}, rule_buttons=rule_buttons)


@bp.get("/records/<type_key>/<int:record_id>/edit")
@login_required
def edit_record(type_key: str, record_id: int) -> Any:
    try:
        with reading() as session:
            screen = workspace.record_screen(session, web_principal(), type_key, record_id, for_form=True)
    except BomsError as exc:
        return error_page(exc)
    if not screen.may_update:
        return render_template("inbox/error.html", message=_("You may not see or do this.")), 403
    return _render_form(screen.type, Action.UPDATE, screen.record["fields"], record=screen.record)


def _version() -> int | None:
    text = request.form.get("version", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@bp.post("/records/<type_key>/<int:record_id>/edit")
@login_required
def update_record(type_key: str, record_id: int) -> Any:
    who = web_principal()
    try:
        with reading() as session:
            screen = workspace.record_screen(session, who, type_key, record_id, for_form=True)
        values = _submitted(screen.type, Action.UPDATE, clearing=True)
        with writing() as session:
            workspace.save_form(session, who, type_key, record_id, values, _version(), _uploads(screen.type),
                                store_root(), upload_limit())
    except FormInvalid as exc:
        typed = _named_files(shown_again(values, request.form), screen.record)
        return _render_form(_labelled(screen.type, values), Action.UPDATE, typed,
                            field_messages(exc.details.get("fields", {})), record=screen.record, status=422)
    except Conflict:
        # Someone saved first: show what they saved beside a note; what this user typed is not lost.
        typed = shown_again(values, request.form)
        return _render_form(_labelled(screen.type, values), Action.UPDATE, typed, record=screen.record, status=409,
                            conflict=True)
    except BomsError as exc:
        return error_page(exc)
    flash(_("Your changes were saved."), "success")
    return redirect(url_for("inbox.record_page", type_key=type_key, record_id=record_id))


@bp.get("/records/<type_key>/<int:record_id>/delete")
@login_required
def confirm_delete_record(type_key: str, record_id: int) -> Any:
    try:
        with reading() as session:
            screen = workspace.record_screen(session, web_principal(), type_key, record_id)
    except BomsError as exc:
        return error_page(exc)
    if not screen.may_delete:
        return render_template("inbox/error.html", message=_("You may not see or do this.")), 403
    return render_template("records/delete.html", kind=screen.type, record=screen.record)


@bp.post("/records/<type_key>/<int:record_id>/delete")
@login_required
def delete_record(type_key: str, record_id: int) -> Any:
    try:
        with writing() as session:
            service.delete_record(session, web_principal(), type_key, record_id, _version())
    except Conflict:
        flash(_("Someone else changed this record meanwhile. Check it, then delete it again if you still want to."),
              "warning")
        return redirect(url_for("inbox.record_page", type_key=type_key, record_id=record_id))
    except BomsError as exc:
        return error_page(exc)
    flash(_("The record was deleted."), "success")
    return redirect(url_for("inbox.record_list", type_key=type_key))
