"""The staff pages: inbox, task form, start a process, instance view, notifications, records."""

from flask import Blueprint, Flask

bp = Blueprint("inbox", __name__)

from server.inbox import (  # noqa: E402,F401
    dashboards,
    files,
    notifications,
    record_bulk,
    record_choices,
    record_display,
    record_forms,
    record_pages,
    record_processes,
    record_rules,
    routes,
    start,
    task,
    task_actions,
    texts,
)


def init_app(app: Flask) -> None:
    """The staff pages plug in: their blueprint and the unread-notification count every page shows."""
    app.register_blueprint(bp)
    from server.inbox.record_imports import bp as record_imports

    app.register_blueprint(record_imports)  # /records/<type>/import: its own blueprint and templates
    app.context_processor(notifications.unread_notifications)
