"""BOMS: the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from werkzeug.routing import BaseConverter

from server import audit, plugins
from server.config import Config, check_secret_key
from server.db import DATABASE_EXTENSION, Database
from server.engine.runner import Runner


class RecordIdConverter(BaseConverter):
    """A record id segment that is never one of the fixed words beside it (`/records/<type>/bulk`, ...), so a
    PATCH to `/records/<type>/imports` is a 405, not an edit of record "imports"."""

    regex = r"(?!(?:bulk|bulk-edit|views|imports|export|files|template\.xlsx)$)[^/]+"


class BomsFlask(Flask):
    def make_default_options_response(self) -> Any:
        """OPTIONS answers with the methods of the route it matched: Werkzeug's default adds every rule the
        path could match (`/tasks/batch-complete` would also advertise `/tasks/<task_id>`'s GET and PATCH)."""
        matched = request.url_rule
        methods: set[str] = set()
        for rule in self.url_map.iter_rules():
            if matched is not None and rule.rule == matched.rule and rule.methods:
                methods |= rule.methods
        response = self.response_class()
        response.allow.update(methods)
        return response


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    if not config.testing:
        check_secret_key(config.secret_key)
    app = BomsFlask(__name__, instance_path=str(config.instance_path))
    app.url_map.converters["record_id"] = RecordIdConverter
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        TESTING=config.testing,
        BOMS=config,
    )
    app.extensions[DATABASE_EXTENSION] = Database(config.database_url)
    audit.init_app(app, app.extensions[DATABASE_EXTENSION], config.audit_key)
    app.extensions["boms_runner"] = Runner(allow_python_scripts=config.allow_python_scripts)
    plugins.init_app(app)

    import admin
    from server import analytics, connectors, inbox, observability, records, rules, services, worker
    from server import api as rest_api
    from server.api import api
    from server.auth import session as _session  # noqa: F401  (registers the user loader)
    from server.auth.login import bp as auth_pages
    from server.auth.throttle import init_throttle
    from server.extensions import LANGUAGES, init_web
    from server.inbox.error_pages import register_error_pages
    from server.request_guard import init_request_guard
    from server.security_headers import init_security_headers
    from server.services import files, notifications

    observability.init_app(app)  # request ids, /healthz, /readyz, /metrics
    init_request_guard(app, api.url_prefix or "/api/")  # before the blueprints: it binds `<int:...>`
    init_web(app, api)
    init_throttle(app)  # login attempts counted per app, in the shared store when there is one
    init_security_headers(app)
    app.register_blueprint(auth_pages)
    app.jinja_env.globals.update(languages=LANGUAGES, current_locale=lambda: str(get_locale() or "en"))

    # Each engine plugs itself in (server/plugins.py): its jobs, sweeps, Celery tasks, blueprints,
    # OpenAPI paths and admin views. The admin UI is built after every engine registered its views,
    # and the Celery app after every engine registered its tasks.
    for engine in (connectors, services, notifications, files, records, rules, analytics, rest_api, inbox,
                   admin):
        engine.init_app(app)
    worker.init_app(app)

    # Localized error pages for the web; routing errors under /api/v1 stay JSON.
    register_error_pages(app, api.url_prefix or "/api/")

    return app
