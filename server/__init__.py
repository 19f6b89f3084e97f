"""BOMS: the application factory."""

from __future__ import annotations

from flask import Flask

from server.config import Config
from server.db import Database
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
    app.extensions["boms_db"] = Database(config.database_url)
    app.extensions["boms_runner"] = Runner(allow_python_scripts=config.allow_python_scripts)

    from server.api import api

    app.register_blueprint(api)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
