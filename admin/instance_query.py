"""The instance list's filters, read from the URL."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from server.models import STATUSES, ProcessInstance, ProcessVersion
from server.services.inbox import VARIABLE_NAME, variable_text

PAGE_SIZE = 50
FILTER_ARGS = ("key", "version", "status", "business_key", "started_by", "started_from", "started_to",
               "var", "value")


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class InstanceQuery:
    key: str = ""
    version: int | None = None
    status: str = ""
    business_key: str = ""
    started_by: str = ""
    started_from: date | None = None
    started_to: date | None = None
    var: str = ""
    value: str = ""
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> InstanceQuery:
        """URL parameters anyone can edit: what cannot be read is dropped and named, never a 500."""
        query = cls(**{name: (args.get(name) or "").strip()
                       for name in ("key", "status", "business_key", "started_by", "var", "value")})
        if query.status and query.status not in STATUSES:
            query.problems.append(f"status must be one of {', '.join(STATUSES)}")
            query.status = ""
        if query.var and not VARIABLE_NAME.match(query.var):
            query.problems.append("a variable name is letters, digits and _ (not starting with a digit)")
            query.var = ""
        version = args.get("version", "").strip()
        if version:
            if version.isdigit():
                query.version = int(version)
            else:
                query.problems.append("version must be a number")
        for name in ("started_from", "started_to"):
            text = args.get(name, "").strip()
            setattr(query, name, _date(text))
            if text and getattr(query, name) is None:
                query.problems.append(f"{name.replace('_', ' ')} must be a date (YYYY-MM-DD)")
        page = args.get("page", "1")
        query.page = max(1, int(page)) if page.isdigit() else 1
        return query

    def args(self, **overrides: Any) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in FILTER_ARGS}
        values.update(overrides)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}

    def clauses(self, session: Session) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for column, value in ((ProcessInstance.process_key, self.key), (ProcessInstance.status, self.status),
                              (ProcessInstance.business_key, self.business_key),
                              (ProcessInstance.started_by, self.started_by)):
            if value:
                clauses.append(column == value)
        if self.version is not None:
            clauses.append(ProcessInstance.version_id.in_(select(ProcessVersion.id).where(
                ProcessVersion.version == self.version,
                *([ProcessVersion.key == self.key] if self.key else []))))
        if self.started_from:
            clauses.append(ProcessInstance.started_at >= datetime.combine(self.started_from, datetime.min.time()))
        if self.started_to:  # inclusive: the whole last day
            end = datetime.combine(self.started_to + timedelta(days=1), datetime.min.time())
            clauses.append(ProcessInstance.started_at < end)
        if self.var:
            text = variable_text(session, self.var)
            clauses.append(text == self.value if self.value else text.is_not(None))
        return clauses


def page_of_instances(session: Session, query: InstanceQuery) -> tuple[list[ProcessInstance], int, int]:
    """(rows, total, pages); the page number is clamped to the last page."""
    clauses = query.clauses(session)
    total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*clauses)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    query.page = min(query.page, pages)
    statement: Select[Any] = (select(ProcessInstance).where(*clauses)
                              .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
                              .offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(session.scalars(statement)), total, pages
