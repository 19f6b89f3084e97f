"""Reading the audit log, for whoever may: one filter, one JSON form of an event, and the permission check,
for the API, the admin list and exports.

Appending to the chain is server/services/audit.py; this module only reads (and verifies, for readers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_can_read_audit
from server.models import AuditEvent
from server.queries import Order, Page, PageRequest, Sorting, fetch_page, iterate, offset_page
from server.services.audit import VerifyResult, verify

# seq is unique and gap-free: its own tie-breaker.
AUDIT_SORTING = Sorting({"seq": AuditEvent.seq}, AuditEvent.seq, default="seq")
OLDEST_FIRST: Order = AUDIT_SORTING.order("seq")
NEWEST_FIRST: Order = AUDIT_SORTING.order("-seq")


@dataclass
class AuditFilter:
    instance: str | None = None
    actor: str | None = None
    # An exact kind ("task.completed"), or a prefix ending in "." ("task." matches every task event).
    kind: str | None = None
    task: str | None = None
    after: datetime | None = None  # naive UTC, inclusive
    before: datetime | None = None  # naive UTC, exclusive

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for column, value in ((AuditEvent.instance_id, self.instance), (AuditEvent.actor, self.actor),
                              (AuditEvent.task_id, self.task)):
            if value:
                clauses.append(column == value)
        if self.kind:
            clauses.append(AuditEvent.kind.startswith(self.kind, autoescape=True) if self.kind.endswith(".")
                           else AuditEvent.kind == self.kind)
        if self.after:
            clauses.append(AuditEvent.at >= self.after)
        if self.before:
            clauses.append(AuditEvent.at < self.before)
        return clauses

    def statement(self) -> Select[tuple[AuditEvent]]:
        return select(AuditEvent).where(*self.clauses())


def event_json(row: AuditEvent) -> dict[str, Any]:
    """An event as the API returns it and the JSON export writes it."""
    return {
        "seq": row.seq,
        "at": row.at.isoformat() + "Z",
        "actor": row.actor,
        "kind": row.kind,
        "instanceId": row.instance_id,
        "taskId": row.task_id,
        "elementId": row.element_id,
        "subjectType": row.subject_type,
        "subjectId": row.full_subject_id,
        "chain": row.chain,
        "chainSeq": row.chain_seq,
        "hashVersion": row.hash_version,
        "data": json.loads(row.data or "{}"),
        "hash": row.hash,
        "prevHash": row.linked_prev_hash,
    }


def list_events(session: Session, who: Principal, f: AuditFilter, request: PageRequest) -> Page[AuditEvent]:
    """Oldest first (the API): numbered pages with the total, or a cursor for walking the whole log."""
    require_can_read_audit(who)
    return fetch_page(session, f.statement(), OLDEST_FIRST, request)


def newest_events(session: Session, who: Principal, f: AuditFilter, page: int, size: int) -> Page[AuditEvent]:
    """Newest first, a page beyond the last shows the last (the admin list)."""
    require_can_read_audit(who)
    return offset_page(session, f.statement(), NEWEST_FIRST.clauses(), page, size, clamp=True)


def every_event(session: Session, who: Principal, f: AuditFilter, batch: int = 2000) -> Iterator[AuditEvent]:
    """Every matching event in seq order, in batches, so an export of the whole log stays small in memory.

    Not a generator: the permission is checked now, so a refusal is still a 403 before streaming starts.
    """
    require_can_read_audit(who)
    return iterate(session, f.statement(), OLDEST_FIRST, batch)


def verify_chain(session: Session, who: Principal) -> VerifyResult:
    """Recompute the chain (``boms audit verify`` runs the same check from the command line)."""
    require_can_read_audit(who)
    return verify(session)


def kinds(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.kind).distinct().order_by(AuditEvent.kind)))
