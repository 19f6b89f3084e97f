"""BOMS: the application factory."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from server.config import Config
from server.db import DATABASE_EXTENSION, Database
from server.engine.runner import Runner


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        TESTING=config.testing,
        BOMS=config,
    )
    app.extensions[DATABASE_EXTENSION] = Database(config.database_url)
    app.extensions["boms_runner"] = Runner(allow_python_scripts=config.allow_python_scripts)

    from server.api import api
    from server.auth import session as _session  # noqa: F401  (registers the user loader)
    from server.auth.login import bp as auth_pages
    from server.extensions import LANGUAGES, init_web
    from server.inbox import bp as inbox_pages
    from server.inbox.error_pages import register_error_pages
    from server.inbox.notifications import unread_notifications
    from server.queries.args import refuse_nul_in_path
    from server.services.notifications import notification_listener

    app.before_request(refuse_nul_in_path)
    app.register_blueprint(api)
    init_web(app, api)
    app.register_blueprint(auth_pages)
    app.register_blueprint(inbox_pages)
    app.jinja_env.globals.update(languages=LANGUAGES, current_locale=lambda: str(get_locale() or "en"))
    app.extensions["boms_runner"].listeners.append(notification_listener(app))
    app.context_processor(unread_notifications)

    # Localized error pages for the web; routing errors under /api/v1 stay JSON.
    register_error_pages(app, api.url_prefix or "/api/")

    from admin import init_admin

    init_admin(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
