"""The Flask-Admin UI at /admin: process models, instances, tasks, people, audit.

Views only read and render; every change goes through the service modules the REST API uses
(server/services/*), inside `Database.write()` transactions, so there is one write path.
Each engine adds its views through the plug-in registry (server/plugins.py `add_admin_views`); the
workflow engine's are below.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin.session import init_session
from server.plugins import plugins_of
from server.security_headers import csp_nonce


def workflow_views(db: Any) -> Iterable[BaseView]:
    from admin.views.audit import AuditView
    from admin.views.instances import InstancesView
    from admin.views.models import ProcessModelsView
    from admin.views.people import GroupView, TokenView, UserView
    from admin.views.record_types import RecordTypesView
    from admin.views.tasks import TasksView

    return [
        ProcessModelsView(name=_l("Process models"), endpoint="admin_models", url="models"),
        InstancesView(name=_l("Process instances"), endpoint="admin_instances", url="instances"),
        RecordTypesView(name=_l("Record types"), endpoint="admin_record_types", url="record-types"),
        TasksView(name=_l("Human tasks"), endpoint="admin_tasks", url="tasks"),
        UserView(db, name=_l("Users"), category=_l("People"), endpoint="admin_users", url="users"),
        GroupView(db, name=_l("Groups"), category=_l("People"), endpoint="admin_groups", url="groups"),
        TokenView(db, name=_l("API tokens"), category=_l("People"), endpoint="admin_tokens", url="tokens"),
        AuditView(name=_l("Audit log"), endpoint="admin_audit", url="audit"),
    ]


def init_app(app: Flask) -> Admin:
    """Register the workflow engine's views, then build /admin from every engine's views (so the admin
    UI plugs in after the engines that add views to it)."""
    from admin.dashboards import dashboard_views
    from admin.rules import rule_views

    plugins = plugins_of(app)
    plugins.admin_views.insert(0, workflow_views)  # the workflow's views lead the menu
    plugins.add_admin_views(rule_views)  # the rule engine's (server.rules sits below admin: it cannot add them)
    plugins.add_admin_views(dashboard_views)  # the analytics engine's designer, for the same reason
    return init_admin(app)


def init_admin(app: Flask) -> Admin:
    from admin.views.home import HomeView

    db = init_session(app)
    admin = Admin(app, name=_l("BOMS admin"), url="/admin",
                  index_view=HomeView(name=_l("Home"), url="/admin", endpoint="admin"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True), csp_nonce_generator=csp_nonce)
    for views in plugins_of(app).admin_views:
        for view in views(db):
            admin.add_view(view)
    return admin
