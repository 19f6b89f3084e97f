"""Routes of the staff pages; each page reads through the same services as the API."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from server.inbox import bp


@bp.get("/")
def home() -> Any:
    return redirect(url_for("inbox.inbox") if current_user.is_authenticated else url_for("auth.login"))


@bp.get("/inbox")
@login_required
def inbox() -> Any:
    return render_template("inbox/inbox.html")


@bp.get("/start")
@login_required
def start() -> Any:
    return render_template("inbox/start.html")
