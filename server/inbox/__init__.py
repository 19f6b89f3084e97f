"""The staff pages: inbox, task form, start a process, instance view, notifications."""

from flask import Blueprint, Flask

bp = Blueprint("inbox", __name__)

from server.inbox import dashboards, files, notifications, routes, start, task, texts  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """The staff pages plug in: their blueprint and the unread-notification count every page shows."""
    app.register_blueprint(bp)
    app.context_processor(notifications.unread_notifications)
