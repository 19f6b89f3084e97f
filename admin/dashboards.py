"""Dashboards in the admin UI: the list, and the designer (a grid of the charts, added, moved and resized by
dragging, a chart editor with pickers for the selected chart, and the JSON definition both edit).

The grid changes each chart's `layout` and the editor the rest of a chart, both in the JSON; saving sends the
JSON through server/analytics/service.py `save` (what PUT /api/v1/dashboards/{key} calls), which checks roles
and every chart again. The editor's pickers read `catalogue.json` (server/analytics/catalogue.py: what this
designer may read) and check a chart's filter with `check-filter.json` as the save would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.access import RoleGuard, database, principal
from admin.feedback import definition_json, describe, pretty
from server.analytics import catalogue, service
from server.errors import BomsError

EXAMPLE = {"key": "my_dashboard", "title": {"en": "My dashboard", "zh": "我的仪表板"},
           "viewers": {"roles": ["admin"]},
           "charts": [{"key": "events", "type": "column", "title": {"en": "Events by kind", "zh": "按类型的事件"},
                       "source": {"kind": "audit_events"}, "dimensions": [{"field": "kind"}],
                       "measures": [{"agg": "count"}], "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}]}
STORED = ("version", "createdAt", "createdBy")  # what `get` adds to the definition; not part of what is saved


class DashboardsView(RoleGuard, BaseView):
    read_roles = service.DESIGNERS
    write_roles = service.DESIGNERS

    @expose("/")
    def index(self) -> Any:
        with database().read() as session:
            dashboards = service.list_dashboards(session, principal())
        return self.render("admin/boms/dashboards.html", dashboards=dashboards)

    def _designer(self, key: str | None, text: str, problem: BomsError | None = None) -> Any:
        # The refused chart and field, so the editor shows the message beside that field's picker.
        where = None if problem is None else {"chart": problem.details.get("chart"),
                                              "field": problem.details.get("field"), "message": describe(problem)}
        return self.render("admin/boms/dashboard_edit.html", key=key, text=text, problem=where)

    @expose("/catalogue.json")
    def catalogue_json(self) -> Any:
        with database().read() as session:
            return jsonify(catalogue.catalogue(session, principal()))

    @expose("/check-filter.json")
    def check_filter_json(self) -> Any:
        """A chart's filter checked as the save checks it: {"ok": true}, or the error (400) naming the field."""
        try:
            spec = json.loads(request.args.get("source", ""))
            with database().read() as session:
                catalogue.check_chart_filter(session, principal(), request.args.get("chart", "chart"), spec,
                                             request.args.get("filter", ""))
        except (json.JSONDecodeError, RecursionError):
            return jsonify({"error": {"code": "bad_request", "message": _("The source is not valid JSON."),
                                      "field": "source"}}), 400
        except BomsError as exc:
            return jsonify(exc.to_dict()), exc.status
        return jsonify({"ok": True})

    @expose("/new")
    def new(self) -> Any:
        return self._designer(None, pretty(EXAMPLE))

    @expose("/<key>/")
    def edit(self, key: str) -> Any:
        try:
            with database().read() as session:
                definition = service.get(session, principal(), key)
        except BomsError as exc:
            flash(describe(exc), "danger")
            return redirect(url_for(".index"))
        return self._designer(key, pretty({k: v for k, v in definition.items() if k not in STORED}))

    @expose("/save", methods=("POST",))
    def save(self) -> Any:
        text = request.form.get("definition", "")
        key = request.form.get("key") or None
        try:
            raw = definition_json(text)
            with database().write() as session:
                row, created = service.save(session, principal(), raw)
        except json.JSONDecodeError as exc:
            flash(_("The dashboard is not valid JSON: line %(line)s, column %(column)s: %(message)s",
                    line=exc.lineno, column=exc.colno, message=exc.msg), "danger")
            return self._designer(key, text)
        except RecursionError:
            flash(_("The dashboard is not valid JSON: it is nested too deeply."), "danger")
            return self._designer(key, text)
        except BomsError as exc:
            flash(_("The dashboard was not saved: %(reason)s", reason=describe(exc)), "danger")
            return self._designer(key, text, exc)
        flash(_("Saved dashboard %(key)s version %(version)s.", key=row.key, version=row.version) if created
              else _("Nothing changed: the dashboard is the same as its latest version."), "success")
        return redirect(url_for(".edit", key=row.key))


def dashboard_views(_db: Any) -> Iterable[BaseView]:
    return [DashboardsView(name=_l("Dashboards"), endpoint="admin_dashboards", url="dashboards")]
