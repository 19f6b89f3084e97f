"""The workbooks an importer downloads, permission-checked: a type's template, an import's refused rows."""

from __future__ import annotations

from typing import IO, Any

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import Database
from server.records.imports import service, workbooks
from server.records.service import access


def template_for(database: Database, who: Principal, type_key: str, language: str) -> IO[bytes]:
    """The template of the fields ``who`` may import into (403 without the ``import`` permission)."""
    with database.read() as session:
        a = access(session, who, type_key, Action.IMPORT)
        writable = a.fields(Action.IMPORT)
        fields = [f for f in a.definition["fields"] if f["key"] in writable]
        return workbooks.template(a.definition, fields, language)


def error_workbook_of(database: Database, who: Principal, import_id: str, **texts: Any) -> IO[bytes]:
    """The refused rows of an import ``who`` may see; ``texts``: ``describe``/``row_text`` in the reader's
    language (see workbooks.error_workbook)."""
    with database.read() as session:
        row, errors = service.error_rows(session, who, import_id)
        return workbooks.error_workbook(row, errors, **texts)
