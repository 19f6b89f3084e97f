"""The staff pages: inbox, task form, start a process, instance view, notifications."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from server.inbox import files, messages, notifications, routes, start, task  # noqa: E402,F401
