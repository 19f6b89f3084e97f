"""People: users, groups and API tokens. Flask-Admin lists them (read-only model views on the shared
engine, see admin/session.py); creating and changing goes through server/services/people.py in write
transactions. Passwords are set, never shown; a token is shown once, when created."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin.access import RoleGuard, database, principal
from admin.feedback import describe
from admin.instance_actions import run_one
from server.api.common import PRINCIPAL_TTL
from server.errors import BomsError, NotFound
from server.models import ROLES, ApiToken, Group, User
from server.queries import ID
from server.services import people


class ReadOnlyList(RoleGuard, ModelView):
    """Flask-Admin's list (sorting, search, paging) and nothing that writes through it."""

    can_create = can_edit = can_delete = False
    can_view_details = False
    # Any form Flask-Admin renders carries Flask-WTF's token, the one CSRFProtect checks app-wide.
    form_base_class = FlaskForm
    list_template = "admin/boms/people_list.html"
    page_size = 50
    new_label: ClassVar[str | None] = None


def _link(view: Any, context: Any, model: Any, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for(".manage", user_id=model.id), getattr(model, name))


class UserView(ReadOnlyList):
    new_label = _l("New user")
    column_list = ("username", "display_name", "email", "active", "roles", "groups", "manager", "created_at")
    column_searchable_list = ("username", "display_name", "email")
    column_filters = ("active",)
    column_default_sort = "username"
    column_formatters: ClassVar[dict[str, Any]] = {
        "username": _link,
        "roles": lambda v, c, m, n: ", ".join(m.roles),
        "groups": lambda v, c, m, n: ", ".join(m.group_names),
        "manager": lambda v, c, m, n: m.manager.username if m.manager else "",
    }

    def __init__(self, db: Any, **kwargs: Any) -> None:
        super().__init__(User, db, **kwargs)


    @expose("/create", methods=("GET", "POST"))
    def new(self) -> Any:
        form = request.form
        if request.method == "POST":
            try:
                with database().write() as session:
                    user = people.create_user(session, principal(), username=form.get("username", ""),
                                              password=form.get("password", ""), roles=form.getlist("roles"),
                                              groups=form.get("groups", ""), manager=form.get("manager", ""),
                                              display_name=form.get("display_name", ""))
                    user_id = user.id
            except BomsError as exc:
                flash(_("User not created: %(reason)s", reason=describe(exc)), "danger")
            else:
                flash(_("User %(name)s created.", name=form.get("username")), "success")
                return redirect(url_for(".manage", user_id=user_id))
        return self.render("admin/boms/user_new.html", roles=ROLES, form=form)

    def _manage_page(self, user_id: int, new_token: str | None = None) -> Any:
        with database().read() as session:
            user = session.execute(select(User).where(User.id == user_id)
                                   .options(selectinload(User.groups), selectinload(User.manager))).scalar_one_or_none()
            if user is None:
                abort(404)
            tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                          .order_by(ApiToken.created_at.desc())))
        return self.render("admin/boms/user_manage.html", user=user, tokens=tokens, roles=ROLES, new_token=new_token)

    @expose(f"/<{ID}:user_id>")
    def manage(self, user_id: int) -> Any:
        return self._manage_page(user_id)

    @expose(f"/<{ID}:user_id>/update", methods=("POST",))
    def update(self, user_id: int) -> Any:
        form = request.form
        error = run_one(lambda s: people.update_user(
            s, principal(), user_id, display_name=form.get("display_name", ""), email=form.get("email", ""),
            active=form.get("active") == "on", roles=form.getlist("roles"), groups=form.get("groups", ""),
            manager=form.get("manager", ""), department=form.get("department"),
            approval_limit=form.get("approval_limit")))
        flash(_("User not changed: %(error)s", error=error) if error else _("User saved."),
              "danger" if error else "success")
        return redirect(url_for(".manage", user_id=user_id))

    @expose(f"/<{ID}:user_id>/password", methods=("POST",))
    def password(self, user_id: int) -> Any:
        error = run_one(lambda s: people.set_password(s, principal(), user_id, request.form.get("password", "")))
        flash(_("Password not set: %(error)s", error=error) if error else _("Password set."),
              "danger" if error else "success")
        return redirect(url_for(".manage", user_id=user_id))

    @expose(f"/<{ID}:user_id>/token", methods=("POST",))
    def token(self, user_id: int) -> Any:
        try:
            with database().write() as session:
                token = people.issue_token(session, principal(), user_id, request.form.get("name", ""))
        except NotFound:
            abort(404)
        except BomsError as exc:
            flash(_("Token not created: %(reason)s", reason=describe(exc)), "danger")
            return redirect(url_for(".manage", user_id=user_id))
        # Rendered, not flashed: a flash would travel in the session cookie.
        return self._manage_page(user_id, new_token=token)


class GroupView(ReadOnlyList):
    new_label = _l("New group")
    column_list = ("name", "display_name", "members")
    column_searchable_list = ("name", "display_name")
    column_default_sort = "name"
    column_formatters: ClassVar[dict[str, Any]] = {
        "members": lambda v, c, m, n: ", ".join(sorted(u.username for u in m.members)),
    }

    def __init__(self, db: Any, **kwargs: Any) -> None:
        super().__init__(Group, db, **kwargs)


    @expose("/create", methods=("GET", "POST"))
    def new(self) -> Any:
        if request.method == "POST":
            form = request.form
            error = run_one(lambda s: people.add_group(s, principal(), form.get("name", ""),
                                                       form.get("display_name", "")))
            if not error:
                flash(_("Group %(name)s created.", name=form.get("name", "").strip()), "success")
                return redirect(url_for(".index_view"))
            flash(_("Group not created: %(error)s", error=error), "danger")
        return self.render("admin/boms/group_new.html", form=request.form)


class TokenView(ReadOnlyList):
    column_list = ("id", "user", "name", "created_at", "revoked_at", "revoke")
    column_default_sort = ("created_at", True)
    column_filters = ("revoked_at",)
    column_formatters: ClassVar[dict[str, Any]] = {
        "user": lambda v, c, m, n: m.user.username,
        "revoke": lambda v, c, m, n: Markup(
            '<form method="post" action="{}"><input type="hidden" name="csrf_token" value="{}">'
            '<button class="btn btn-sm btn-outline-danger" type="submit">Revoke</button></form>'
        ).format(url_for(".revoke", token_id=m.id), c.resolve("csrf_token")()) if m.revoked_at is None else "",
    }

    def __init__(self, db: Any, **kwargs: Any) -> None:
        super().__init__(ApiToken, db, **kwargs)


    @expose(f"/<{ID}:token_id>/revoke", methods=("POST",))
    def revoke(self, token_id: int) -> Any:
        error = run_one(lambda s: people.revoke_token(s, principal(), token_id))
        if error:
            flash(_("Token not revoked: %(error)s", error=error), "danger")
        else:
            flash(_("Token %(id)s revoked; the API refuses it within %(seconds)s seconds.", id=token_id,
                    seconds=f"{PRINCIPAL_TTL:g}"), "success")
        return redirect(url_for(".index_view"))
