"""Who may open and who may change each admin view, on top of the web session (Flask-Login).

Every rule is a role check on the same Principal the API and the staff pages use; the service a view
calls checks again, so a view that forgot a rule still could not change anything it should not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from server.auth.permissions import ADMIN_UI_ROLES, Principal
from server.db import Database, current_database
from server.engine.runner import Runner

# Methods that only read: everything else is a change and needs a writing role.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_ROLES = ADMIN_UI_ROLES


def principal() -> Principal:
    return current_user.principal


def database() -> Database:
    return current_database()


def runner() -> Runner:
    return current_app.extensions["boms_runner"]


class RoleGuard:
    """Mixed into every admin view. `read_roles` may open the view, `write_roles` may POST to it."""

    read_roles: ClassVar[tuple[str, ...]] = ("admin",)
    write_roles: ClassVar[tuple[str, ...]] = ("admin",)

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        who = principal()
        if not who.has(*self.read_roles):
            return False
        return request.method in SAFE_METHODS or who.has(*self.write_roles)

    def is_visible(self) -> bool:
        return current_user.is_authenticated and principal().has(*self.read_roles)

    def can_write(self) -> bool:
        return current_user.is_authenticated and principal().has(*self.write_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)
