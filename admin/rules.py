"""Rules in the admin UI: the list, a JSON editor with a dry run, and the run log with each run's steps.

Every change goes through server/rules/service.py (the API's calls), which checks roles again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from admin.access import RoleGuard, database, principal, runner
from admin.feedback import definition_json, describe, json_object, pretty
from server.errors import BomsError
from server.events import RuleRunStatus
from server.queries import ID
from server.rules import dry_run, pickers, service

EXAMPLE = {"key": "my_rule", "name": "My rule",
           "trigger": {"type": "record", "recordType": "material", "on": ["updated"], "fields": ["stock"]},
           "condition": "record.stock < record.safety_stock", "edge": True,
           "actions": [{"id": "tell", "type": "notify", "groups": ["purchasing"], "title": "='Low: ' + record.name"}]}


class RulesView(RoleGuard, BaseView):
    read_roles = service.READERS
    write_roles = service.DESIGNERS

    @expose("/")
    def index(self) -> Any:
        with database().read() as session:
            rules = service.list_rules(session, principal())["items"]
        return self.render("admin/boms/rules.html", rules=rules, can_write=self.can_write())

    def _editor(self, key: str | None, text: str, test_body: str = "{}", result: Any = None) -> Any:
        with database().read() as session:
            offered = pickers.pickers(session, principal())
        return self.render("admin/boms/rule_edit.html", key=key, text=text, test_body=test_body, pickers=offered,
                           result=pretty(result) if result is not None else None, can_write=self.can_write())

    @expose("/new")
    def new(self) -> Any:
        return self._editor(None, pretty(EXAMPLE))

    @expose("/<key>/")
    def edit(self, key: str) -> Any:
        try:
            with database().read() as session:
                rule = service.get(session, principal(), key)
        except BomsError as exc:
            flash(describe(exc), "danger")
            return redirect(url_for(".index"))
        definition = {k: v for k, v in rule.items() if k not in ("version", "createdAt", "createdBy",
                                                                 "webhookSecret")}
        return self._editor(key, pretty(definition))

    @expose("/save", methods=("POST",))
    def save(self) -> Any:
        text = request.form.get("definition", "")
        key = request.form.get("key") or None
        try:
            raw = definition_json(text)
            with database().write() as session:
                rule, created = service.save(session, principal(), raw)
        except json.JSONDecodeError as exc:
            flash(_("The rule is not valid JSON: line %(line)s, column %(column)s: %(message)s", line=exc.lineno,
                    column=exc.colno, message=exc.msg), "danger")
            return self._editor(key, text)
        except RecursionError:
            flash(_("The rule is not valid JSON: it is nested too deeply."), "danger")
            return self._editor(key, text)
        except BomsError as exc:
            flash(_("The rule was not saved: %(reason)s", reason=describe(exc)), "danger")
            return self._editor(key, text)
        flash(_("Saved rule %(key)s version %(version)s.", key=rule["key"], version=rule["version"]) if created
              else _("Nothing changed: the rule is the same as its latest version."), "success")
        return redirect(url_for(".edit", key=rule["key"]))

    @expose("/<key>/test", methods=("POST",))
    def test(self, key: str) -> Any:
        text, body_text = request.form.get("definition", ""), request.form.get("test", "{}")
        try:
            body = json_object(body_text, "test")
            result = dry_run.test(database(), runner(), current_app.config["BOMS"], principal(), key, body)
        except BomsError as exc:
            flash(_("The test did not run: %(reason)s", reason=describe(exc)), "danger")
            return self._editor(key, text, body_text)
        return self._editor(key, text, body_text, result)

    @expose("/<key>/<any(enable, disable):action>", methods=("POST",))
    def toggle(self, key: str, action: str) -> Any:
        try:
            with database().write() as session:
                service.set_enabled(session, principal(), key, action == "enable")
        except BomsError as exc:
            flash(describe(exc), "danger")
        return redirect(url_for(".index"))

    @expose("/runs")
    def runs(self) -> Any:
        rule = request.args.get("rule") or None
        status = request.args.get("status") or None
        try:
            with database().read() as session:
                page = service.list_runs(session, principal(), rule, status, 100,
                                         request.args.get("before", type=int))
        except BomsError as exc:
            flash(describe(exc), "danger")
            page = {"items": [], "nextBefore": None}
        return self.render("admin/boms/rule_runs.html", runs=page["items"], next_before=page["nextBefore"],
                           rule=rule or "", status=status or "", statuses=list(RuleRunStatus))

    @expose(f"/runs/<{ID}:run_id>")
    def run(self, run_id: int) -> Any:
        try:
            with database().read() as session:
                detail = service.get_run(session, principal(), run_id)
        except BomsError as exc:
            flash(describe(exc), "danger")
            return redirect(url_for(".runs"))
        return self.render("admin/boms/rule_run.html", run=detail, pretty=pretty, can_write=self.can_write())

    @expose(f"/runs/<{ID}:run_id>/retry", methods=("POST",))
    def retry(self, run_id: int) -> Any:
        try:
            with database().write() as session:
                service.retry(session, principal(), run_id)
            flash(_("Run %(id)s queued again from the action that failed.", id=run_id), "success")
        except BomsError as exc:
            flash(describe(exc), "danger")
        return redirect(url_for(".run", run_id=run_id))


def rule_views(_db: Any) -> Iterable[BaseView]:
    return [RulesView(name="Rules", endpoint="admin_rules", url="rules")]
