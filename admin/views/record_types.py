"""The record-type designer: every type with its versions; create a type, edit its fields and who may do what.

Saving makes a new version through the deploy path of ``*.record.json`` (server/records/designer.py),
so the checks, the version and the audit event are those of a deployed file.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from admin.access import RoleGuard, database, principal
from admin.feedback import describe
from admin.record_designer import BLANK_ROWS, DesignForm, FieldRow, definition_of, form_of, typed_form
from admin.record_palette import PALETTE
from server.auth.permissions.records import Action
from server.errors import BomsError, NotFound
from server.models import ROLES
from server.records.designer import designed_type, designed_types, save_designed
from server.records.fields import KINDS
from server.records.type_deletion import delete_type
from server.records.types import DESIGNERS


def _refusal(exc: BomsError) -> str:
    """The save's refusal in the reader's language: a change of type BOMS does not make is said by its kind."""
    refused = exc.details.get("retype")
    if not isinstance(refused, dict):
        return describe(exc)
    why = {"relation": _("a relation keeps its type and its target (its values are ids of records of that type)"),
           "computed": _("a computed field (formula, lookup, rollup, auto-number) keeps its type (its values are "
                         "computed, not typed)"),
           "sub_table": _("a sub-table keeps its type (its values are rows)"),
           "attachment": _("an attachment keeps its type (its values are files)"),
           "money": _("a money field with a currency per record keeps its type and its currencies (its amounts "
                      "would lose or need a currency)")}.get(
        refused.get("reason", ""), _("these values do not convert"))
    return _("field %(field)s: changing the type from %(before)s to %(after)s is not supported: %(why)s. Add a new "
             "field of the type you want and remove this one (its data stays until purged).",
             field=refused.get("field"), before=refused.get("from"), after=refused.get("to"), why=why)


class RecordTypesView(RoleGuard, BaseView):
    read_roles = DESIGNERS
    write_roles = DESIGNERS

    @expose("/")
    def index(self) -> Any:
        with database().read() as session:
            types = designed_types(session, principal())
        return self.render("admin/boms/record_types.html", types=types)

    def _edit(self, design: DesignForm, versions: list[Any], status: int = 200,
              unconvertible: list[dict[str, Any]] | None = None) -> Any:
        for _blank in range(BLANK_ROWS - sum(1 for r in design.rows if not r.key)):
            design.rows.append(FieldRow(len(design.rows), position=len(design.rows) + 1))
        return self.render("admin/boms/record_type_edit.html", design=design, versions=versions,
                           kinds=list(KINDS), palette=PALETTE, blank=FieldRow(0), roles=ROLES,
                           actions=[a.value for a in Action], unconvertible=unconvertible), status

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        if request.method == "GET":
            return self._edit(form_of(None), [])
        return self._save(None, [])

    @expose("/<key>/", methods=("GET", "POST"))
    def edit(self, key: str) -> Any:
        try:
            with database().read() as session:
                saved, versions = designed_type(session, principal(), key)
        except NotFound:
            abort(404)
        if request.method == "GET":
            return self._edit(form_of(saved), versions)
        return self._save(saved, versions)

    @expose("/<key>/delete", methods=("POST",))
    def delete(self, key: str) -> Any:
        try:
            with database().write() as session:
                delete_type(session, principal(), key)
        except BomsError as exc:
            flash(_("Not deleted: %(reason)s", reason=describe(exc)), "danger")
            return redirect(url_for(".edit", key=key))
        flash(_("Record type %(key)s deleted; its versions are kept as the archive.", key=key), "success")
        return redirect(url_for(".index"))

    def _save(self, saved: dict[str, Any] | None, versions: list[Any]) -> Any:
        design = typed_form(request.form, saved)
        try:
            definition = definition_of(design, saved)
            with database().write() as session:
                summary = save_designed(session, principal(), definition,
                                        clear=request.form.get("clear_unconvertible") == "1")
        except BomsError as exc:
            flash(_("Not saved, nothing changed: %(reason)s", reason=_refusal(exc)), "danger")
            # A type change over values that do not convert: the records are listed, with the choice to clear.
            return self._edit(design, versions, 400, exc.details.get("changes"))
        if summary["created"]:
            flash(_("Saved %(key)s as version %(version)s.", key=summary["key"], version=summary["version"]),
                  "success")
        else:
            flash(_("Nothing changed: the definition is the same as version %(version)s.",
                    version=summary["version"]), "info")
        return redirect(url_for(".edit", key=summary["key"]))
