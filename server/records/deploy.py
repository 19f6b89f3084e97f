"""Record types deployed as files beside BPMN and DMN: ``*.record.json`` (one definition per file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.errors import BomsError, DeployError
from server.forms.limits import read_json_file
from server.records import types
from server.records.definition import read_definition

SUFFIX = ".record.json"


def deploy_files(session: Session, actor: str, files: list[tuple[str, bytes]], clear: bool = False
                 ) -> list[dict[str, Any]]:
    """Read every file first (a mistake names the file and changes nothing), then save each. ``clear``: the
    designer chose to clear the values that do not convert to a field's new type."""
    definitions = []
    for name, content in files:
        raw = read_json_file(name, content, "recordType")
        try:
            definitions.append((name, read_definition(raw)))
        except BomsError as exc:
            raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
    keys = [d["key"] for _, d in definitions]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        raise DeployError(f"record type '{key}' is in more than one file of the upload", element=key)
    summaries = []
    for name, definition in definitions:
        try:
            row, created = types.save(session, definition, actor, clear=clear)
        except BomsError as exc:
            raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
        summaries.append({"key": row.key, "version": row.version, "name": row.name_en, "file": name,
                          "created": created})
    return summaries
