"""The relation picker's search (``/records/<type>/fields/<field>/choices?q=``): the records of the field's
target type the reader may see, as JSON for server/static/record_picker.js (the grid's bulk form)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import login_required

from server.auth.session import web_principal
from server.errors import BomsError
from server.inbox import bp
from server.inbox.pages import reading
from server.inbox.texts import error_text
from server.records import related


@bp.get("/records/<type_key>/fields/<field_key>/choices")
@login_required
def record_choices(type_key: str, field_key: str) -> Any:
    try:
        with reading() as session:
            found = related.search(session, web_principal(), type_key, field_key, request.args.get("q", ""))
    except BomsError as exc:
        return jsonify({"error": error_text(exc)}), exc.status
    return jsonify({"items": [{"id": c.id, "label": c.label} for c in found]})
