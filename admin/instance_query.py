"""The instance list's filters, read from the URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import STATUSES, ProcessInstance
from server.models.instance import VARIABLE_NAME
from server.queries import ID_MAX, QueryArgs, day_end, day_start, offset_page
from server.services.instances import INSTANCE_SORTING, InstanceFilter

PAGE_SIZE = 50
FILTER_ARGS = ("key", "version", "status", "business_key", "started_by", "started_from", "started_to",
               "var", "value")


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
        read = QueryArgs(args, strict=False)
        query = cls(**{name: read.text(name, "") or "" for name in ("key", "business_key", "started_by", "value")})
        query.status = read.choice("status", STATUSES, "") or ""
        query.var = read.text("var", "") or ""
        if query.var and not VARIABLE_NAME.match(query.var):
            read.bad("var", "is letters, digits and _ (not starting with a digit)", "a variable name")
            query.var = ""
        query.version = read.integer("version", maximum=ID_MAX)
        query.started_from = read.day("started_from", "started from")
        query.started_to = read.day("started_to", "started to")
        query.page = read.integer("page", 1) or 1
        query.problems = [problem.message for problem in read.problems]
        return query

    def args(self, **overrides: Any) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in FILTER_ARGS}
        values.update(overrides)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}

    def filter(self) -> InstanceFilter:
        """Dates as whole days: `started_to` includes its last day."""
        return InstanceFilter(
            status=self.status, key=self.key, version=self.version, business_key=self.business_key,
            started_by=self.started_by, var=self.var, value=self.value,
            started_after=day_start(self.started_from),
            started_before=day_end(self.started_to))


def page_of_instances(session: Session, query: InstanceQuery) -> tuple[list[ProcessInstance], int, int]:
    """(rows, total, pages); the page number is clamped to the last page."""
    statement = select(ProcessInstance).where(*query.filter().clauses(session))
    page = offset_page(session, statement, INSTANCE_SORTING.order(None).clauses(), query.page, PAGE_SIZE,
                       clamp=True)
    query.page = page.page or 1
    return page.items, page.total or 0, page.pages

