"""Error pages of the web app in the reader's language, in the site's layout (not Werkzeug's English ones).

Paths under the API keep their JSON errors: the API blueprint handles its own, and routing errors
(no such URL, wrong method) that never reach it are answered in the same JSON shape here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from server.errors import http_error_json


def http_error_text(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return _("This form has expired or did not come from this site. Go back, reload the page and send it "
                 "again.")
    texts = {
        400: lambda: _("The request was not valid."),
        401: lambda: _("Please log in to access this page."),
        403: lambda: _("You may not see or do this."),
        404: lambda: _("This page does not exist."),
        405: lambda: _("This page cannot be used this way."),
        413: lambda: _("The upload is too large."),
        429: lambda: _("Too many attempts. Wait a minute and try again."),
        500: lambda: _("Something went wrong on the server. Try again later."),
    }
    return texts[exc.code]() if exc.code in texts else _("The request could not be carried out.")


def register_error_pages(app: Flask, api_prefix: str) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if request.path.startswith(api_prefix):
            body, status, headers = http_error_json(exc)
            return jsonify(body), status, headers
        if exc.code is None or exc.code < 400:
            return exc  # a redirect raised as an exception is not an error
        response = exc.get_response()  # keeps headers such as Allow (405) and Retry-After (429)
        response.set_data(render_template("error.html", code=exc.code, message=http_error_text(exc)))
        response.mimetype = "text/html"
        return response
