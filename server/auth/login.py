"""/login and /logout for the web pages; /language to switch the interface language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from server.auth.passwords import verify_password
from server.auth.session import SessionUser
from server.db import current_database
from server.extensions import LANGUAGES, limiter
from server.models import User

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inbox.inbox")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["BOMS"].login_rate_limit, methods=["POST"],
               key_func=lambda: f"{request.remote_addr}:{request.form.get('username', '')}",
               error_message=lambda: _("Too many login attempts; wait a minute."))
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        with current_database().read() as db_session:
            user = db_session.execute(
                select(User).where(User.username == form.username.data, User.active.is_(True))
                .options(selectinload(User.groups))
            ).scalar_one_or_none()
            if user is not None and verify_password(user.password_hash, form.password.data or ""):
                session.clear()  # a fresh session on login: no fixation
                login_user(SessionUser(user))
                return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong user name or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> Any:
    choice = request.form.get("lang")
    if choice in LANGUAGES:
        session["lang"] = choice
    return redirect(_safe_next(request.form.get("next")))
