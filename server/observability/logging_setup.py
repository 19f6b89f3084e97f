"""Request ids and the log format: `BOMS_LOG_FORMAT=json` writes one JSON object per line.

Every request gets an id: the caller's `X-Request-Id` when it is a sane token (a proxy or the
client chose it, so logs of several systems line up), else a new one. It is returned as the
`X-Request-Id` response header and carried by every log line written while the request runs.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-Id"
# Only what is safe to echo into a header and a log line: no spaces, quotes or control characters.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_request_id: ContextVar[str | None] = ContextVar("boms_request_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Puts the running request's id (or "-" outside a request) on every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        # timestamp="time": an ISO 8601 UTC time under that key (asctime is local and has a comma).
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time")
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str | None = None, stream: Any = None) -> logging.Handler:
    """Install one handler on the root logger (replacing the one a previous call installed)."""
    log_format = (log_format or os.environ.get("BOMS_LOG_FORMAT", "text")).strip().lower()
    if log_format not in {"text", "json"}:
        raise ValueError(f"BOMS_LOG_FORMAT must be 'text' or 'json', not {log_format!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "boms_handler", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream)
    handler.boms_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def _incoming_id() -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _ACCEPTED.fullmatch(offered) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    # Only when asked: tests and embedding programs keep their own logging set-up otherwise.
    if os.environ.get("BOMS_LOG_FORMAT"):
        configure_logging()

    def _assign_request_id() -> None:
        g.request_id = _incoming_id()
        g.request_id_token = _request_id.set(g.request_id)

    # First of all hooks: a request that an earlier hook refuses (request_guard's 400) still has an id.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)

    @app.after_request
    def _return_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def _forget_request_id(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            _request_id.reset(token)
