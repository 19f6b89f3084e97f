"""/login and /logout for the web pages; /language to switch the interface language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from server.audit import Event, publish
from server.auth.client import client_info
from server.auth.passwords import verify_password
from server.auth.redirects import local_path
from server.auth.session import SessionUser, end_sessions_of
from server.auth.throttle import count_login_attempt
from server.db import current_database
from server.extensions import LANGUAGES
from server.models import User

bp = Blueprint("auth", __name__)
MAX_TYPED_NAME = 150  # the longest user name there can be (user_account.username)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing aid.
    return local_path(target, url_for("inbox.inbox"))


def _log(kind: str, actor: str, username: str) -> None:
    with current_app.extensions["boms_db"].write() as db_session:
        publish(db_session, Event(kind, actor, data={"username": username, **client_info()}))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if request.method == "POST":
        count_login_attempt(request.form.get("username", ""))
    if form.validate_on_submit():
        with current_database().read() as db_session:
            user = db_session.execute(
                select(User).where(User.username == form.username.data, User.active.is_(True))
                .options(selectinload(User.groups))
            ).scalar_one_or_none()
            if user is not None and verify_password(user.password_hash, form.password.data or ""):
                session.clear()  # a fresh session on login: no fixation
                login_user(SessionUser(user))
                _log("auth.login", user.username, user.username)
                return redirect(_safe_next(request.args.get("next")))
        # The name as typed (it may be nobody's), never the password.
        _log("auth.login_failed", "anonymous", (form.username.data or "")[:MAX_TYPED_NAME])
        flash(_("Wrong user name or password."), "danger")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    _log("auth.logout", current_user.username, current_user.username)
    end_sessions_of(int(current_user.id))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> Any:
    choice = request.form.get("lang")
    if choice in LANGUAGES:
        session["lang"] = choice
    return redirect(_safe_next(request.form.get("next")))
