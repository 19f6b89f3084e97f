"""Rules deployed as files beside BPMN, DMN and record types: ``*.rule.json`` (one rule per file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.errors import BomsError, DeployError
from server.forms.limits import read_json_file
from server.rules import store

SUFFIX = ".rule.json"


def deploy_files(session: Session, actor: str, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Each file read and checked; the first mistake names its file, and the upload changes nothing."""
    summaries = []
    seen: dict[str, str] = {}
    for name, content in files:
        raw = read_json_file(name, content, "rule")
        try:
            row, created = store.save(session, raw, actor)
        except BomsError as exc:
            raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
        if row.key in seen:
            raise DeployError(f"rule '{row.key}' is in {seen[row.key]} and {name}", file=name)
        seen[row.key] = name
        summaries.append({"key": row.key, "version": row.version, "name": row.name, "file": name,
                          "created": created})
    return summaries
