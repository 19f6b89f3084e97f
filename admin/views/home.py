"""The admin home: what needs attention now, each number linking to the list behind it."""

from __future__ import annotations

from typing import Any

from flask_admin import AdminIndexView, expose

from admin.access import ADMIN_ROLES, RoleGuard, database, principal
from server.services.overview import attention_counts


class HomeView(RoleGuard, AdminIndexView):
    read_roles = ADMIN_ROLES

    @expose("/")
    def index(self) -> Any:
        with database().read() as session:
            counts = attention_counts(session, principal())
        return self.render("admin/boms/home.html", counts=counts)
