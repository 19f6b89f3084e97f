"""Routes of the staff pages; each page reads through the same services as the API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from server.auth.permissions import can_see_task
from server.auth.session import web_principal
from server.db import Database, current_database, utcnow
from server.errors import Forbidden, NotFound
from server.forms.files import is_file_value
from server.inbox import bp
from server.inbox.diagram_trace import diagram_trace
from server.queries import QueryArgs
from server.security_headers import stored_xml
from server.services import inbox as service
from server.services import instance_page

# Query parameters the inbox keeps when it links to itself (tabs, sorting, paging).
INBOX_ARGS = ("tab", "process", "q", "var", "value", "sort", "dir", "page")
ACTIONS = {"claim": "inbox.claim_task", "unclaim": "inbox.unclaim_task", "complete": "inbox.complete_task"}
ID_SLOT = "00000000-id-slot"  # stands in for a task or instance id in a URL built once per page


def _database() -> Database:
    return current_database()


# --- template filters: locale-aware output for every staff page ---------------------------------


@bp.app_template_filter("inbox_datetime")
def inbox_datetime(value: datetime | None, style: str = "medium") -> str:
    # Stored values are naive UTC; Flask-Babel reads naive as UTC and shows the configured zone.
    return format_datetime(value, style) if value else ""


@bp.app_template_filter("inbox_date")
def inbox_date(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else ""


@bp.app_template_filter("inbox_number")
def inbox_number(value: float | int) -> str:
    return format_decimal(value)


@bp.app_template_filter("inbox_count")
def inbox_count(value: int, exact: bool = True) -> str:
    """A count; one that stopped counting at `value` (the inbox's bounded counts) reads "999+" for 1,000:
    more than the number before it."""
    return format_decimal(value) if exact else f"{format_decimal(value - 1)}+"


@bp.app_template_filter("readonly_value")
def readonly_value(value: Any, widget: str) -> str:
    """A read-only form value in the reader's format; what cannot be read as its kind is shown as it is."""
    if value is None or value == "":
        return ""
    if widget in ("number", "money") and isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value, "#,##0.00") if widget == "money" else format_decimal(value)
    if widget == "date" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    if widget == "datetime" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)  # already UTC wall time (server/forms/render.py)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return f"{format_datetime(moment, 'medium')} {get_timezone()}"
    return str(value)


@bp.app_template_filter("inbox_filesize")
def inbox_filesize(size: int) -> str:
    """Bytes as a person reads them, with the locale's number format."""
    if size < 1024:
        return _("%(size)s bytes", size=format_decimal(size))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(round(size / 1024, 1)))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def _file_link(value: dict[str, Any]) -> Markup:
    return Markup('<a href="{}" data-testid="file-link">{}</a> <span class="text-body-secondary">({})</span>').format(
        url_for("inbox.download_file", file_id=value["fileId"]), value["name"], inbox_filesize(value["size"]))


def _rows_table(rows: list[dict[str, Any]]) -> Markup:
    """A list of rows (a form's repeatable rows) as a small table, columns in first-seen order."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(inbox_value(row.get(c)))
                                                     for c in columns))
        for row in rows)
    return Markup('<table class="table table-sm table-bordered mb-0" data-testid="rows-value">'
                  "<thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(head, body)


@bp.app_template_filter("inbox_value")
def inbox_value(value: Any) -> str | Markup:
    """A process variable as a person reads it: localized numbers, yes/no, files as links, rows as a table."""
    if value is None:
        return Markup('<span class="text-body-secondary">&mdash;</span>')
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_decimal(value)
    if is_file_value(value):
        return _file_link(value)
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
        return _rows_table(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# --- pages ----------------------------------------------------------------------------------------


@bp.get("/")
def home() -> Any:
    return redirect(url_for("inbox.inbox") if current_user.is_authenticated else url_for("auth.login"))


def _inbox_query() -> service.InboxQuery:
    # Lenient: an edited URL falls back to the defaults (InboxQuery), and text the databases cannot compare
    # (a NUL character) is dropped rather than sent to PostgreSQL.
    args = QueryArgs(request.args, strict=False)
    sort = args.text("sort", "created") or "created"
    return service.InboxQuery(
        tab=args.text("tab", "mine") or "mine", process=args.text("process"), q=args.text("q"),
        var=args.text("var"), value=args.text("value"), sort=sort,
        # Dates read newest first by default, names alphabetically.
        descending=args.text("dir", "asc" if sort == "name" else "desc") == "desc",
        page=args.integer("page", 1) or 1,
    )


def _inbox_url(query: service.InboxQuery, **changes: Any) -> str:
    """A link to the inbox with the current filters, some changed; empty values are left out."""
    current = {"tab": query.tab, "process": query.process, "q": query.q, "var": query.var, "value": query.value,
               "sort": query.sort, "dir": "desc" if query.descending else "asc", "page": query.page}
    merged = {**current, **changes}
    return url_for("inbox.inbox", **{k: merged[k] for k in INBOX_ARGS if merged.get(k) not in (None, "")})


@bp.get("/inbox")
@login_required
def inbox() -> Any:
    who = web_principal()
    query = _inbox_query()
    with _database().read() as session:
        page = service.inbox_page(session, who, query)
        processes = service.process_names(session)
        rows = [{
            "task": task,
            "visible": can_see_task(who, task),
            "actions": service.row_actions(who, task, page.has_form.get(task.id, True)),
        } for task in page.rows]
        decisions = service.batch_decisions(who, page)
    # One button per decision option any selectable row offers (approve, reject), in first-seen order.
    batch_options = list(dict.fromkeys(option for options in decisions.values() for option in options))
    # Buttons only for the action endpoints that exist (the task page's blueprint module adds them).
    endpoints = {action: endpoint for action, endpoint in ACTIONS.items() if endpoint in current_app.view_functions}
    # Each row's links, built once with a placeholder id (url_for per row was a tenth of the page's CPU).
    row_urls = {action: url_for(endpoint, task_id=ID_SLOT) for action, endpoint in endpoints.items()}
    row_urls["instance"] = url_for("inbox.instance", instance_id=ID_SLOT)
    return render_template("inbox/inbox.html", page=page, query=query, rows=rows, processes=processes,
                           endpoints=endpoints, decisions=decisions, batch_options=batch_options, now=utcnow(),
                           inbox_url=lambda **kw: _inbox_url(query, **kw), row_urls=row_urls, id_slot=ID_SLOT)


@bp.get("/instances/<instance_id>")
@login_required
def instance(instance_id: str) -> Any:
    who = web_principal()
    try:
        with _database().read() as session:
            view = instance_page.instance_view(session, who, instance_id)
            processes = service.process_names(session)
            # Read inside the session: the page shows the version number and the tasks' candidates.
            version_number = view.instance.version.version
    except Forbidden:
        return render_template("inbox/instance.html", error=_("You may not see this process instance.")), 403
    except NotFound:
        return render_template("inbox/instance.html", error=_("This process instance does not exist.")), 404
    return render_template("inbox/instance.html", view=view, instance=view.instance, processes=processes,
                           version_number=version_number, now=utcnow(), trace=diagram_trace(view.events))


@bp.get("/instances/<instance_id>/diagram.xml")
@login_required
def instance_diagram(instance_id: str) -> Any:
    try:
        with _database().read() as session:
            xml = instance_page.diagram_xml(session, web_principal(), instance_id)
    except Forbidden:
        return Response(_("Forbidden"), status=403, mimetype="text/plain")
    except NotFound:
        return Response(_("Not found"), status=404, mimetype="text/plain")
    # Private: the model can name people and amounts, so shared caches must not keep it.
    return stored_xml(xml, f"diagram-{instance_id}.bpmn", **{"Cache-Control": "private, max-age=300"})
