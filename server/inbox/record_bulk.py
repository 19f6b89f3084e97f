"""The grid's bulk edit and delete of the selected records (``/records/<type>/bulk``, a form POST).

The selected rows come with the version the page showed, so a record changed since is a conflict for that
row; every row is checked by the bulk path (server/records/bulk.py), all or nothing, and each refused row
is said by its record number. The value control is the chosen field's own (``value.<key>``); an empty one
clears the field.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from server.auth.permissions.records import Action
from server.auth.session import web_principal
from server.errors import BomsError, Conflict, Forbidden, NotFound
from server.forms import registry
from server.inbox import bp
from server.inbox.pages import error_page, local_referrer, reading, writing
from server.inbox.record_display import field_label
from server.inbox.texts import error_text, field_message
from server.records import workspace
from server.records.bulk import BulkRefused, bulk_selected

#: the kinds a bulk edit sets from one control (others: open the record)
BULK_KINDS = frozenset({"text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date",
                        "select", "email", "url", "phone"})
MAX_SELECTED = 1000


def bulk_fields(kind: workspace.TypeView) -> list[dict[str, Any]]:
    return [f for f in kind.fields if f["key"] in kind.updatable and f["type"] in BULK_KINDS
            and not f.get("multiple")]


def _selected() -> dict[int, int | None]:
    rows: dict[int, int | None] = {}
    for raw in request.form.getlist("row")[:MAX_SELECTED + 1]:
        if raw.isascii() and raw.isdigit() and len(raw) < 19:
            version = request.form.get(f"version.{raw}", "")
            rows[int(raw)] = int(version) if version.isascii() and version.isdigit() and len(version) < 10 else None
    return rows


def _changes(kind: workspace.TypeView) -> dict[str, Any]:
    key = request.form.get("field", "")
    if key not in {f["key"] for f in bulk_fields(kind)}:
        return {}
    prop = kind.schema(Action.UPDATE)["properties"][key]
    raw = request.form.get(f"value.{key}", "")
    if prop.get("type") == "boolean" or "boolean" in (prop.get("type") or []):
        return {key: {"yes": True, "no": False}.get(raw)}
    given, value = registry.of(prop).parse(prop, MultiDict({key: raw}), key)
    return {key: value if given else None}  # an emptied control clears the field


def _row_text(row: dict[str, Any], labels: dict[str, str]) -> str:
    error = row.get("error", {})
    fields = error.get("fields") or {}
    if fields:
        reason = "; ".join(f"{labels.get(key, key)}: {field_message(message)}" for key, message in fields.items())
    else:  # said by its kind in the reader's language, as the record's own page says it
        kinds = {403: Forbidden, 404: NotFound, 409: Conflict}
        reason = error_text(kinds[row["status"]]("")) if row.get("status") in kinds \
            else str(error.get("message", ""))
    return _("Record %(id)s: %(reason)s", id=row.get("id", "?"), reason=reason)


@bp.post("/records/<type_key>/bulk")
@login_required
def bulk_records_page(type_key: str) -> Any:
    who = web_principal()
    back = local_referrer(url_for("inbox.record_list", type_key=type_key))
    deleting = request.form.get("action") == "delete"
    labels: dict[str, str] = {}
    try:
        with reading() as session:
            kind = workspace.type_view(session, who, type_key)
        labels = {f["key"]: field_label(f) for f in kind.fields}
        changes = None if deleting else _changes(kind)
        with writing() as session:
            done = bulk_selected(session, who, type_key, _selected(), changes)
    except BulkRefused as exc:
        flash(_("Nothing was changed: %(count)s selected records were refused.",
                count=len(exc.details.get("rows", []))), "danger")
        for row in exc.details.get("rows", []):
            flash(_row_text(row, labels), "danger")
        return redirect(back)
    except BomsError as exc:
        if exc.status == 400:
            flash(_("Nothing was changed: %(reason)s", reason=_("select one or more records and a field")),
                  "danger")
            return redirect(back)
        return error_page(exc)
    count = len(done["deleted"] if deleting else done["updated"])
    flash(_("%(count)s records deleted.", count=count) if deleting else
          _("%(count)s records changed.", count=count), "success")
    return redirect(back)
