"""What the task and start pages share: the write transaction, the runner, and error pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from server.engine.runner import Runner
from server.errors import BomsError, Forbidden, NotFound


def runner() -> Runner:
    return current_app.extensions["boms_runner"]


@contextmanager
def reading() -> Iterator[Session]:
    with current_app.extensions["boms_db"].read() as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    with current_app.extensions["boms_db"].write() as session:
        yield session


def error_page(exc: BomsError) -> Any:
    messages = {Forbidden: _("You may not see or do this."), NotFound: _("This does not exist (any more).")}
    message = next((text for kind, text in messages.items() if isinstance(exc, kind)), exc.message)
    return render_template("inbox/error.html", message=message), exc.status


def local_referrer(default: str) -> str:
    target = request.form.get("next") or request.referrer or ""
    if target.startswith(request.host_url):
        target = "/" + target[len(request.host_url):]
    return target if target.startswith("/") and not target.startswith("//") else default
