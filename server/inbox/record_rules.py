"""The "Run rule" buttons of the record pages: one record (its page) or a bulk selection (the list).

Which buttons show and who may press them is decided by server/rules/manual.py, which checks again
on every press (the record page only hides what one may not do)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from server.auth.session import web_principal
from server.errors import BomsError
from server.inbox import bp
from server.inbox.pages import error_text, local_referrer, writing
from server.rules import manual


@bp.post("/records/<type_key>/rules/<rule_key>/run")
@login_required
def run_record_rule(type_key: str, rule_key: str) -> Any:
    ids = request.form.getlist("row")
    back = local_referrer(url_for("inbox.record_list", type_key=type_key))
    if not ids:
        flash(_("Select the records to run the rule for."), "warning")
        return redirect(back)
    try:
        with writing() as session:
            result = manual.trigger(session, current_app.config["BOMS"], web_principal(), rule_key,
                                    {"recordIds": ids, "recordType": type_key})
    except BomsError as exc:
        flash(_("The rule was not run: %(reason)s", reason=error_text(exc)), "danger")
        return redirect(back)
    queued, skipped = len(result["runs"]), len(result["conditionFalse"])
    flash(ngettext("Rule run queued for %(num)s record.", "Rule runs queued for %(num)s records.", queued)
          if queued else _("The rule did not run: its condition is false for these records."),
          "success" if queued else "warning")
    if queued and skipped:
        flash(ngettext("Its condition was false for %(num)s record.", "Its condition was false for %(num)s records.",
                       skipped), "info")
    return redirect(back)
