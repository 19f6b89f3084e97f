"""What every route needs: the database, the runner, the asking user, JSON input and paging."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.tokens import digest, user_for_token
from server.db import Database, current_database
from server.engine.runner import Runner
from server.errors import BadRequest, Unauthorized
from server.forms.limits import MAX_DEPTH, check_body
from server.queries import ID_MAX, QueryArgs, id_value, page_request


def database() -> Database:
    return current_database()


def runner() -> Runner:
    return current_app.extensions["boms_runner"]


# Who a token belongs to, remembered briefly: the lookup was a fifth of an API call's cost.
# A revoked token or a deactivated user is refused at most PRINCIPAL_TTL seconds later.
PRINCIPAL_TTL = 5.0
_principals: dict[str, tuple[float, Principal]] = {}


def _basic_token(credentials: str) -> tuple[str, str] | None:
    """(username, token) of HTTP Basic credentials, or None when they are not `user:token` in base64."""
    try:
        username, _, token = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (username, token) if username and token else None


def principal(allow_basic: bool = False) -> Principal:
    """The caller, from `Authorization: Bearer TOKEN`; 401 without a valid one.

    `allow_basic` (the Camunda engine-rest API, whose clients are configured with a user and a password):
    HTTP Basic with the user's name and one of the user's API tokens as the password.
    """
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    username = None
    if allow_basic and scheme.lower() == "basic":
        basic = _basic_token(token)
        if basic is None:
            raise Unauthorized("HTTP Basic credentials must be base64 of USER:TOKEN (an API token of that user)")
        username, token = basic
    elif scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token: Authorization: Bearer TOKEN"
                           + (" (or HTTP Basic with USER:TOKEN)" if allow_basic else ""))
    key = digest(token.strip())
    cached = _principals.get(key)
    now = time.monotonic()
    if cached is None or cached[0] < now:
        with database().read() as session:
            user = user_for_token(session, token.strip())
            if user is None:
                _principals.pop(key, None)
                raise Unauthorized("the API token is unknown, revoked, or its user is inactive")
            if len(_principals) > 10_000:
                _principals.clear()
            cached = _principals[key] = (now + PRINCIPAL_TTL, Principal.of(user))
    if username is not None and cached[1].username != username:
        raise Unauthorized("the API token does not belong to that user")
    g.principal = cached[1]
    return g.principal


@contextmanager
def reading() -> Iterator[Session]:
    with database().read() as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    with database().write() as session:
        yield session


def json_body() -> dict[str, Any]:
    """The request's JSON object, with every string storable and nothing nested too deeply or too large
    (422 naming the field; server/forms/limits.py). The services check variables again: they have
    callers other than the API."""
    try:
        body = request.get_json(silent=True)
    except RecursionError as exc:  # Python's JSON parser recurses once per nesting level
        raise BadRequest(f"the request body is nested too deeply (at most {MAX_DEPTH} levels per value)") from exc
    if body is None:
        if request.content_length:
            raise BadRequest("the request body is not valid JSON")
        return {}
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    check_body(body)
    return body


def variables_of(body: dict[str, Any]) -> dict[str, Any]:
    variables = body.get("variables", {})
    if not isinstance(variables, dict):
        raise BadRequest("'variables' must be a JSON object", field="variables")
    return variables


def paging() -> tuple[int, int]:
    """(page, pageSize) of the request; list endpoints use server.queries.page_request (it also reads cursors)."""
    request_page = page_request(QueryArgs(request.args))
    return request_page.page, request_page.size


def time_arg(name: str) -> datetime | None:
    return QueryArgs(request.args).moment(name)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def version_value(value: object, where: str = "version") -> int | None:
    """An optional version number from a query string or JSON body: a positive integer or nothing."""
    if value is None:
        return None
    number = id_value(value)
    if number is None:
        raise BadRequest(f"{where} must be a positive integer, at most {ID_MAX}", field=where)
    return number
