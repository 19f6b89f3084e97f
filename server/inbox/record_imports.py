"""The import and export page of a record type: /records/<type>/import (upload, mapping, preview, progress,
error workbook) and the downloads it links (template, export, refused rows). Each route is one service call
(server/records/imports); the pages own only the HTTP and the words."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from server.auth.session import web_principal
from server.db import current_database
from server.errors import BomsError
from server.inbox.pages import reading, writing
from server.inbox.texts import error_text, problem_text
from server.records import types
from server.records.imports import downloads, service
from server.records.imports import export as exporting

bp = Blueprint("record_imports", __name__)
MAX_IMPORT_BYTES = 1024**3


def _language() -> str:
    return "zh" if str(get_locale() or "en").startswith("zh") else "en"


def _download(body: Any, name: str, content_type: str) -> Response:
    response = Response(stream_with_context(body), mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _refused(exc: BomsError, type_key: str) -> Any:
    return render_template("record_imports/upload.html", type_key=type_key, record_type=None,
                           problem=error_text(exc), detail=exc.message), exc.status


@bp.get("/records/<type_key>/import")
@login_required
def upload_page(type_key: str) -> Any:
    try:
        with reading() as session:
            record_type = types.get(session, web_principal(), type_key)
    except BomsError as exc:
        return _refused(exc, type_key)
    return render_template("record_imports/upload.html", type_key=type_key, record_type=record_type)


@bp.post("/records/<type_key>/import")
@login_required
def upload_submit(type_key: str) -> Any:
    request.max_content_length = MAX_IMPORT_BYTES
    upload = request.files.get("file")
    options = {"dryRun": True, "mode": request.form.get("mode", "insert"),
               "onError": "skip" if request.form.get("skip_invalid") else "abort"}
    if request.form.get("key"):
        options["key"] = request.form["key"]
    if request.form.get("encoding"):
        options["encoding"] = request.form["encoding"]
    if request.form.get("timezone", "").strip():
        options["timezone"] = request.form["timezone"].strip()
    try:
        body = service.start(current_database(), current_app.config["BOMS"].instance_path, web_principal(),
                             type_key, upload.filename if upload else "", upload.stream if upload else None,
                             options)
    except BomsError as exc:
        return _refused(exc, type_key)
    return redirect(url_for("record_imports.import_page", type_key=type_key, import_id=body["id"]))


@bp.get("/records/<type_key>/import/<import_id>")
@login_required
def import_page(type_key: str, import_id: str) -> Any:
    who = web_principal()
    try:
        with reading() as session:
            body = service.get(session, who, import_id)
            record_type = types.get(session, who, body["type"])
    except BomsError as exc:
        return _refused(exc, type_key)
    return render_template("record_imports/import.html", type_key=type_key, record_type=record_type, imp=body,
                           language=_language(), statuses=status_words(), problem_text=problem_text)


@bp.post("/records/<type_key>/import/<import_id>/commit")
@login_required
def commit(type_key: str, import_id: str) -> Any:
    mapping = {name.removeprefix("map:"): (value or None) for name, value in request.form.items()
               if name.startswith("map:")}
    options: dict[str, Any] = {"mapping": mapping, "mode": request.form.get("mode", "insert"),
                               "onError": "skip" if request.form.get("skip_invalid") else "abort"}
    if request.form.get("key"):
        options["key"] = request.form["key"]
    try:
        body = service.restart(current_database(), current_app.config["BOMS"].instance_path, web_principal(),
                               import_id, options)
    except BomsError as exc:
        return _refused(exc, type_key)
    return redirect(url_for("record_imports.import_page", type_key=type_key, import_id=body["id"]))


@bp.post("/records/<type_key>/import/<import_id>/cancel")
@login_required
def cancel(type_key: str, import_id: str) -> Any:
    try:
        with writing() as session:
            service.cancel(session, web_principal(), import_id)
    except BomsError as exc:
        return _refused(exc, type_key)
    return redirect(url_for("record_imports.import_page", type_key=type_key, import_id=import_id))


@bp.get("/records/<type_key>/import/<import_id>/errors.xlsx")
@login_required
def errors(type_key: str, import_id: str) -> Any:
    try:
        handle = downloads.error_workbook_of(current_database(), web_principal(), import_id, describe=problem_text,
                                             row_text=lambda number, text: _("row %(number)s: %(problems)s",
                                                                             number=number, problems=text))
    except BomsError as exc:
        return _refused(exc, type_key)
    return _download(exporting.file_chunks(handle), f"errors-{import_id[:8]}.xlsx", exporting.XLSX)


@bp.get("/records/<type_key>/import/template.xlsx")
@login_required
def template(type_key: str) -> Any:
    try:
        handle = downloads.template_for(current_database(), web_principal(), type_key, _language())
    except BomsError as exc:
        return _refused(exc, type_key)
    return _download(exporting.file_chunks(handle), f"{type_key}-template.xlsx", exporting.XLSX)


@bp.get("/records/<type_key>/export.<file_format>")
@login_required
def export(type_key: str, file_format: str) -> Any:
    try:
        result = exporting.export(current_database(), web_principal(), type_key, file_format,
                                  request.args.get("filter") or None, request.args.get("fields") or None,
                                  request.args.get("sort") or None, _language())
    except BomsError as exc:
        return _refused(exc, type_key)
    return _download(result.body, result.file_name, result.content_type)


def status_words() -> dict[str, str]:
    return {"pending": _("Waiting for a worker"), "validating": _("Checking every row"),
            "writing": _("Importing the rows"), "done": _("All rows handled"), "failed": _("Not imported"),
            "cancelled": _("Import cancelled"), "previewed": _("Preview ready")}
