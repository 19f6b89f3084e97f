"""Evaluate a deployed decision on its own (outside a process)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine.cache import evaluate_deployed
from server.engine.decisions import DecisionError
from server.errors import EngineError, NotFound
from server.forms.limits import check_variables
from server.models import DecisionVersion


def find_decision(session: Session, key: str, version: int | None = None) -> DecisionVersion:
    query = select(DecisionVersion).where(DecisionVersion.key == key)
    query = query.where(DecisionVersion.version == version) if version else query.where(DecisionVersion.is_latest)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"decision '{key}' does not exist")
    return row


def evaluate(session: Session, key: str, variables: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    check_variables(variables)
    row = find_decision(session, key, version)
    try:
        result = evaluate_deployed(row, variables)
    except DecisionError as exc:
        raise EngineError(str(exc), decision=exc.decision or key, rules=list(exc.rules)) from exc
    return {**result.as_dict(), "decision": row.key, "version": row.version,
            "requiredDecisions": [r.as_dict() for r in result.required]}
