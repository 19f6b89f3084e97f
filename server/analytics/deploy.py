"""Dashboards deployed as files beside BPMN, DMN and record types: ``*.dashboard.json`` (one per file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.analytics import service
from server.auth.permissions import Principal
from server.errors import BomsError, DeployError
from server.forms.limits import read_json_file

SUFFIX = ".dashboard.json"
# `boms deploy` and the demo deploy as the system: the saves are checked as a designer's would be.
DEPLOYER = frozenset({"admin"})


def deploy_files(session: Session, actor: str, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Read every file, then save each; a mistake names the file (and chart, field) and the whole upload fails."""
    raws = []
    for name, content in files:
        raws.append((name, read_json_file(name, content, "dashboard")))
    who = Principal(0, actor, DEPLOYER, frozenset())
    summaries = []
    for name, raw in raws:
        try:
            row, created = service.save(session, who, raw)
        except BomsError as exc:
            raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
        summaries.append({"key": row.key, "version": row.version, "name": row.title_en, "file": name,
                          "created": created, "kind": "dashboard"})
    return summaries
