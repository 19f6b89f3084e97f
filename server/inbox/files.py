"""Files of the task and start forms: receiving uploads with a per-field size check, and downloads.

What a file variable holds is described in server/forms/files.py; the store in server/services/files.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, send_file
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from server.auth.session import web_principal
from server.errors import BomsError, PayloadTooLarge
from server.inbox import bp
from server.inbox.pages import error_page, reading
from server.services import files as store
from server.services.submissions import UploadPolicy

MB = 1024 * 1024
# Endpoints whose forms may carry files, and how many full-size files one submission may hold: the body
# limit there is raised above the per-file one, so an oversized file gets its message beside its field.
UPLOAD_ENDPOINTS = frozenset({"inbox.complete_task", "inbox.start_submit"})
FILES_PER_SUBMISSION = 4
FORM_ALLOWANCE = MB  # the other fields of the form


def _limit() -> int:
    return int(current_app.config["BOMS"].max_upload_bytes)


def _megabytes() -> str:
    return format_decimal(round(_limit() / MB, 1))


def store_root() -> Path:
    return store.files_root(current_app.config["BOMS"].instance_path)


def upload_policy() -> UploadPolicy:
    """Where the task and start forms' files go, and how large each may be."""
    return UploadPolicy(store_root(), _limit())


def too_large_messages(fields: list[str]) -> dict[str, str]:
    """The message beside each file field whose upload was over the limit (nothing was stored)."""
    message = _("file is larger than %(size)s MB", size=_megabytes())
    return {name: message for name in fields}


@bp.url_value_preprocessor
def _upload_body_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # The CSRF check (an app-wide before_request) reads the body first, so the limit must be set
    # before it runs: URL value preprocessors are the blueprint hook that runs before any of those.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = FILES_PER_SUBMISSION * _limit() + FORM_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def _body_too_large(exc: RequestEntityTooLarge) -> Any:
    # Too big to read at all, so no field can carry the message: the page says it instead.
    message = _("The upload is too large: each file may have at most %(size)s MB.", size=_megabytes())
    return error_page(PayloadTooLarge(message), message)


@bp.get("/files/<file_id>")
@login_required
def download_file(file_id: str) -> Any:
    with reading() as session:
        try:
            row, path = store.get_file(session, web_principal(), store_root(), file_id)
        except BomsError as exc:
            return error_page(exc)
    # Always a download, never shown inline: an uploaded HTML or SVG file must not run in our origin.
    response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.file_name,
                         conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
