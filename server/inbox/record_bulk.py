"""The grid's bulk edit and delete (``/records/<type>/bulk``, a form POST): of the selected rows, or of all
records matching the list's filter (``scope=matching``, the filter the page showed in ``filter``).

The selected rows come with the version the page showed, so a record changed since is a conflict for that
row; they are checked by the bulk path (server/records/bulk_edit.py), all or nothing, and each refused row
is said by its record number. All matching records go in batches: the refused ones are named and left
unchanged, the rest changed. The value control is the chosen field's own (``value.<key>``, several for a
list); an empty one clears the field. A list field (multi-select, users, groups, relations to many) has a
mode (``mode.<key>``: set, add, remove); users and groups are typed as names, several separated by commas;
a relation is picked by searching its target's records (server/static/record_picker.js posts each chosen
id as one ``value.<key>``; without script, record numbers are typed as for names). A money field with a
currency per record has its amount and a currency choice (``currency.<key>``), sent as one value
``{"amount", "currency"}``. Attachments, sub-tables and computed fields are not offered: they are edited
on the record's page (the bulk path refuses them anyway, naming the field).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from server.auth.permissions.records import Action
from server.auth.session import web_principal
from server.errors import BadRequest, BomsError, Conflict, Forbidden, NotFound
from server.forms import registry
from server.inbox import bp
from server.inbox.pages import error_page, local_referrer, reading, writing
from server.inbox.record_display import field_label
from server.inbox.texts import error_text, field_message
from server.records import workspace
from server.records.bulk import BulkRefused
from server.records.bulk_edit import MAX_MATCHING, edit_records
from server.records.many import is_list

#: the kinds a bulk edit sets from one control (others, sub-tables and attachments: open the record)
BULK_KINDS = frozenset({"text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date",
                        "select", "email", "url", "phone", "multi_select", "user", "group", "relation"})
NAMED_KINDS = frozenset({"user", "group", "relation"})  # typed: names, or record numbers for a relation
MODES = ("set", "add", "remove")
MAX_SELECTED = 1000
SHOWN = 20  # refused records named on the page


def bulk_fields(kind: workspace.TypeView) -> list[dict[str, Any]]:
    return [{**f, "is_list": is_list(f)} for f in kind.fields if f["key"] in kind.updatable
            and f["type"] in BULK_KINDS]


def _selected() -> dict[int, int | None]:
    rows: dict[int, int | None] = {}
    for raw in request.form.getlist("row")[:MAX_SELECTED + 1]:
        if raw.isascii() and raw.isdigit() and len(raw) < 19:
            version = request.form.get(f"version.{raw}", "")
            rows[int(raw)] = int(version) if version.isascii() and version.isdigit() and len(version) < 10 else None
    return rows


def _named(spec: dict[str, Any], raw: str) -> list[Any]:
    """Names (users, groups) or record numbers (relations) typed into one control, comma-separated."""
    parts = [p.strip().lstrip("#") if spec["type"] == "relation" else p.strip()
             for p in raw.replace("，", ",").split(",") if p.strip()]
    if spec["type"] == "relation":
        return [int(p) if p.isascii() and p.isdigit() and len(p) < 19 else p for p in parts]
    return parts


def _changes(kind: workspace.TypeView) -> dict[str, dict[str, Any]]:
    """The edit: {"set"|"add"|"remove": {field: value}} for the chosen field ({} when none is chosen)."""
    key = request.form.get("field", "")
    spec = next((f for f in bulk_fields(kind) if f["key"] == key), None)
    if spec is None:
        return {}
    if spec["is_list"]:
        mode = request.form.get(f"mode.{key}", "set")
        values = request.form.getlist(f"value.{key}")[:MAX_SELECTED] if spec["type"] == "multi_select" else \
            _named(spec, _typed(key))
        return {mode if mode in MODES else "set": {key: values}}
    if spec["type"] in NAMED_KINDS:
        found = _named(spec, _typed(key))
        return {"set": {key: found[0] if len(found) == 1 else (found or None)}}
    return {"set": _plain(kind, key)}


def _typed(key: str) -> str:
    """What names or numbers were given: typed into one control, or one picked per ``value.<key>``."""
    return ",".join(request.form.getlist(f"value.{key}")[:MAX_SELECTED])


def _plain(kind: workspace.TypeView, key: str) -> dict[str, Any]:
    prop = kind.schema(Action.UPDATE)["properties"][key]
    raw = request.form.get(f"value.{key}", "")
    if "x-currencies" in prop:  # an amount and its currency: one value; both empty clears the field
        code = request.form.get(f"currency.{key}", "").strip()
        amount = prop["properties"]["amount"]
        given, value = registry.of(amount).parse(amount, MultiDict({key: raw}), key)
        joined = {k: v for k, v in (("amount", value if given else None), ("currency", code or None))
                  if v is not None}
        return {key: joined or None}  # half a value goes on, for the validator to name what is missing
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


def _body(kind: workspace.TypeView, deleting: bool) -> dict[str, Any]:
    edit: dict[str, Any] = {"delete": True} if deleting else _changes(kind)
    if not edit:
        raise BadRequest("choose a field", field="field")
    if request.form.get("scope") == "matching":
        return {"all": True, "filter": request.form.get("filter", ""), **edit}
    rows = _selected()
    if not rows:
        raise BadRequest("select one or more records", field="row")
    return {"ids": list(rows), "versions": {str(k): v for k, v in rows.items() if v is not None}, **edit}


def _report(done: dict[str, Any], deleting: bool, labels: dict[str, str]) -> None:
    count = done["changed"]
    flash(_("%(count)s records deleted.", count=count) if deleting else
          _("%(count)s records changed.", count=count), "success")
    if done["refusedCount"]:
        flash(_("%(count)s of %(total)s matching records were refused and left unchanged:",
                count=done["refusedCount"], total=done["matched"]), "warning")
        for row in done["refused"][:SHOWN]:
            flash(_row_text(row, labels), "warning")


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
        body = _body(kind, deleting)
        with writing() as session:
            done = edit_records(session, who, type_key, body)
    except BulkRefused as exc:
        flash(_("Nothing was changed: %(count)s selected records were refused.",
                count=len(exc.details.get("rows", []))), "danger")
        for row in exc.details.get("rows", [])[:SHOWN]:
            flash(_row_text(row, labels), "danger")
        return redirect(back)
    except BomsError as exc:
        if exc.status == 400:
            reason = _("%(count)s records match; a bulk edit takes at most %(max)s: narrow the filter",
                       count=exc.details["matched"], max=MAX_MATCHING) if "matched" in exc.details else \
                _("select one or more records and a field")
            flash(_("Nothing was changed: %(reason)s", reason=reason), "danger")
            return redirect(back)
        return error_page(exc)
    _report(done, deleting, labels)
    return redirect(back)
