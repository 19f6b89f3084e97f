"""What the task and start pages share: the write transaction, the runner, and error pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy.orm import Session

from server.auth.redirects import local_path
from server.db import current_database
from server.engine.runner import Runner
from server.errors import BomsError
from server.inbox.texts import error_text


def runner() -> Runner:
    return current_app.extensions["boms_runner"]


@contextmanager
def reading() -> Iterator[Session]:
    with current_database().read() as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    with current_database().write() as session:
        yield session


def error_page(exc: BomsError, message: str | None = None) -> Any:
    """The page for a domain error, said in the reader's language (never the service's English text)."""
    return render_template("inbox/error.html", message=message or error_text(exc)), exc.status


def local_referrer(default: str) -> str:
    target = request.form.get("next") or request.referrer or ""
    if target.startswith(request.host_url):
        target = "/" + target[len(request.host_url):]
    return local_path(target, default)
