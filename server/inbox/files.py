"""Files of the task and start forms: receiving uploads with a per-field size check, and downloads.

What a file variable holds is described in server/forms/files.py; the store in server/services/files.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, redirect, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from server import thumbnails
from server.auth.session import web_principal
from server.errors import BomsError, PayloadTooLarge
from server.inbox import bp
from server.inbox.pages import error_page, reading
from server.records import files as record_files
from server.records.attachments import THUMBNAIL_TYPES
from server.security_headers import harden_stored, safe_download_type
from server.services import files as store
from server.services.submissions import UploadPolicy

MB = 1024 * 1024
# Endpoints whose forms may carry files, and how many full-size files one submission may hold: the body
# limit there is raised above the per-file one, so an oversized file gets its message beside its field.
UPLOAD_ENDPOINTS = frozenset({"inbox.complete_task", "inbox.start_submit", "inbox.create_record",
                              "inbox.update_record", "inbox.approval_action"})
FILES_PER_SUBMISSION = 4
FORM_ALLOWANCE = MB  # the other fields of the form


def _limit() -> int:
    return int(current_app.config["BOMS"].max_upload_bytes)


def upload_limit() -> int:
    """The most one uploaded file may have (BOMS_MAX_UPLOAD_BYTES)."""
    return _limit()


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
    response = send_file(path, mimetype=safe_download_type(row.content_type), as_attachment=True,
                         download_name=row.file_name, conditional=True)
    harden_stored(response)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _send_stored(path: Path, name: str, content_type: str, inline: bool) -> Any:
    response = send_file(path, mimetype=content_type if inline else safe_download_type(content_type),
                         as_attachment=not inline, download_name=name, conditional=True)
    if inline:  # a raster image shown in an <img>: nosniff and the stored-content policy still apply
        response.headers["Content-Disposition"] = "inline"
    harden_stored(response)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/records/<type_key>/<int:record_id>/files/<file_id>")
@login_required
def record_file(type_key: str, record_id: int, file_id: str) -> Any:
    """A file of a record's attachment field, for who may read the record and the field; ``?view=image``
    shows a PNG, JPEG, GIF or WebP inline (the record page's thumbnails), anything else downloads."""
    with reading() as session:
        try:
            name, content_type, path = record_files.download(session, web_principal(), store_root(), type_key,
                                                             record_id, file_id)
        except BomsError as exc:
            return error_page(exc)
    inline = request.args.get("view") == "image" and content_type.lower() in THUMBNAIL_TYPES
    return _send_stored(path, name, content_type, inline)


@bp.get("/records/<type_key>/<int:record_id>/files/<file_id>/thumbnail")
@login_required
def record_thumbnail(type_key: str, record_id: int, file_id: str) -> Any:
    """The record page's thumbnail of an image (same permission as the file); an image BOMS does not shrink
    gets a placeholder picture, so the page never shows a broken one."""
    with reading() as session:
        try:
            small = record_files.thumbnail(session, web_principal(), store_root(), type_key, record_id, file_id)
        except BomsError as exc:
            return error_page(exc)
    if small is None:
        return redirect(url_for("static", filename="thumbnail-none.svg"))
    return _send_stored(small, "thumbnail.webp", thumbnails.CONTENT_TYPE, True)
