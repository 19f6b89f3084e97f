"""The staff pages of records: the record types one may see, a type's list (filter, sort, columns, keyset
pages) and its saved views. Forms and the record page are server/inbox/record_forms.py."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.session import web_principal
from server.errors import BadRequest, BomsError
from server.inbox import bp
from server.inbox.pages import error_page, reading, writing
from server.inbox.record_bulk import bulk_fields
from server.inbox.record_display import field_label
from server.inbox.record_query import CONTROL_KINDS, RANGE_KINDS, ListArgs, read_list_args
from server.queries import PageRequest
from server.records import views, workspace
from server.rules import manual

PAGE_SIZE = 25


@bp.get("/records")
@login_required
def record_types() -> Any:
    with reading() as session:
        items = workspace.readable_types(session, web_principal())
    return render_template("records/types.html", types=items)


def _default_columns(kind: workspace.TypeView) -> list[str]:
    return [f["key"] for f in kind.fields if f.get("list", True)] or [f["key"] for f in kind.fields[:5]]


@bp.get("/records/<type_key>")
@login_required
def record_list(type_key: str) -> Any:
    who = web_principal()
    if request.args.get("view") and set(request.args) == {"view"}:
        return _open_view(type_key, request.args["view"])
    screen, problem = None, None
    try:
        with reading() as session:
            kind = workspace.type_view(session, who, type_key)
            args = read_list_args(request.args, kind.fields)
            if not args.problems:
                try:  # refused before any SQL runs (compiling the filter, sort or cursor): the session stays usable
                    screen = workspace.list_screen(session, who, type_key, args.combined_filter() or None,
                                                   args.sort or None, PageRequest(size=PAGE_SIZE, cursor=args.cursor))
                except BadRequest as exc:  # a filter, sort or cursor the user typed: say which, keep the page
                    problem = exc.message
            saved = screen.views if screen is not None else views.list_views(session, who, type_key)
            rule_buttons = manual.buttons(session, who, type_key)
    except BomsError as exc:
        return error_page(exc)
    status = 400 if (problem or args.problems) else 200
    return render_template(
        "records/list.html", kind=kind, screen=screen, args=args, problem=problem, saved=saved,
        columns=[kind.field(c) for c in (args.columns or _default_columns(kind))],
        controls=[f for f in kind.fields if f["type"] in CONTROL_KINDS], range_kinds=RANGE_KINDS,
        rule_buttons=rule_buttons, bulk_fields=bulk_fields(kind) if kind.may_bulk else [],
        field_label=field_label, list_url=lambda **kw: url_for("inbox.record_list", type_key=type_key,
                                                               **args.link_args(**kw)),
    ), status


def _open_view(type_key: str, view_id: str) -> Any:
    """A saved view's link: the list with its filter, sort and columns in the address (so it can be changed)."""
    number = int(view_id) if view_id.isascii() and view_id.isdigit() and len(view_id) < 10 else 0
    try:
        with reading() as session:
            view = views.get_view(session, web_principal(), type_key, number)
    except BomsError as exc:
        return error_page(exc)
    args = ListArgs(filter=view.filter, sort=view.sort, columns=list(view.columns))
    return redirect(url_for("inbox.record_list", type_key=type_key, view=view.id, **args.link_args()))


@bp.post("/records/<type_key>/views")
@login_required
def save_record_view(type_key: str) -> Any:
    form = request.form
    try:
        with writing() as session:
            view = views.save_view(session, web_principal(), type_key, form.get("name", ""), form.get("filter", ""),
                                   form.get("sort", ""), form.getlist("col"), form.get("shared") == "on")
    except BadRequest as exc:
        flash(_("The view was not saved: %(reason)s", reason=exc.message), "danger")
        return redirect(url_for("inbox.record_list", type_key=type_key))
    except BomsError as exc:
        return error_page(exc)
    flash(_("View saved: %(name)s", name=view.name), "success")
    return redirect(url_for("inbox.record_list", type_key=type_key, view=view.id))


@bp.post("/records/<type_key>/views/<int:view_id>/delete")
@login_required
def delete_record_view(type_key: str, view_id: int) -> Any:
    try:
        with writing() as session:
            views.delete_view(session, web_principal(), type_key, view_id)
    except BomsError as exc:
        return error_page(exc)
    flash(_("The view was deleted."), "success")
    return redirect(url_for("inbox.record_list", type_key=type_key))
