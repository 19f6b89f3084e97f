"""The Flask extensions of the web pages: sessions (Flask-Login), CSRF (Flask-WTF) and languages
(Flask-Babel); the login rate limit is server/auth/throttle.py. The REST API uses none of them: it
authenticates every call with a bearer token, so it is exempt from CSRF."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

LANGUAGES = {"en": "English", "zh": "简体中文"}

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def select_locale() -> str:
    """The user's choice if made, else the browser's Accept-Language."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="en") or "en"


def init_web(app: Flask, api_blueprint: Any) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    # Flask's defaults already hold these keys, so they are set, not defaulted.
    secure = app.config["BOMS"].secure_cookies
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=secure)
    csrf.init_app(app)
    csrf.exempt(api_blueprint)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flashed on the login page when a page needs a session: in the request's language, not English.
    login_manager.login_message = _l("Please log in to access this page.")
    login_manager.localize_callback = str
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
