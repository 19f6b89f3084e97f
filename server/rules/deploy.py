"""Rules deployed as files beside BPMN, DMN and record types: ``*.rule.json`` (one rule per file)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from server.errors import BomsError, DeployError
from server.forms.limits import check_value
from server.rules import store

SUFFIX = ".rule.json"


def deploy_files(session: Session, actor: str, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Each file read and checked; the first mistake names its file, and the upload changes nothing."""
    summaries = []
    seen: dict[str, str] = {}
    for name, content in files:
        try:
            raw = json.loads(content)
        except (UnicodeDecodeError, ValueError) as exc:
            raise DeployError(f"{name}: not valid JSON: {exc}", file=name) from None
        except RecursionError:
            raise DeployError(f"{name}: nested too deeply", file=name) from None
        try:
            check_value(raw, "rule")
            row, created = store.save(session, raw, actor)
        except BomsError as exc:
            raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
        if row.key in seen:
            raise DeployError(f"rule '{row.key}' is in {seen[row.key]} and {name}", file=name)
        seen[row.key] = name
        summaries.append({"key": row.key, "version": row.version, "name": row.name, "file": name,
                          "created": created})
    return summaries
