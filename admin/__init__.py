"""The Flask-Admin UI at /admin: process models, instances, tasks, people, audit.

Views only read and render; every change goes through the service modules the REST API uses
(server/services/*), inside `Database.write()` transactions, so there is one write path.
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin.session import init_session
from server.security_headers import csp_nonce


def init_admin(app: Flask) -> Admin:
    from admin.views.audit import AuditView
    from admin.views.home import HomeView
    from admin.views.instances import InstancesView
    from admin.views.models import ProcessModelsView
    from admin.views.people import GroupView, TokenView, UserView
    from admin.views.tasks import TasksView

    db = init_session(app)
    admin = Admin(app, name="BOMS admin", url="/admin",
                  index_view=HomeView(name="Home", url="/admin", endpoint="admin"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True), csp_nonce_generator=csp_nonce)
    admin.add_view(ProcessModelsView(name="Process models", endpoint="admin_models", url="models"))
    admin.add_view(InstancesView(name="Process instances", endpoint="admin_instances", url="instances"))
    admin.add_view(TasksView(name="Human tasks", endpoint="admin_tasks", url="tasks"))
    admin.add_view(UserView(db, name="Users", category="People", endpoint="admin_users", url="users"))
    admin.add_view(GroupView(db, name="Groups", category="People", endpoint="admin_groups", url="groups"))
    admin.add_view(TokenView(db, name="API tokens", category="People", endpoint="admin_tokens", url="tokens"))
    admin.add_view(AuditView(name="Audit log", endpoint="admin_audit", url="audit"))
    return admin
