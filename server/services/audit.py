"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, seq: int, at: datetime, actor: str, kind: str, instance_id: str | None,
               task_id: str | None, element_id: str | None, data: str) -> str:
    body = canonical_json([prev_hash, seq, at.isoformat(), actor, kind, instance_id, task_id, element_id, data])
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class PendingEvent:
    kind: str
    actor: str
    instance_id: str | None = None
    task_id: str | None = None
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def append(session: Session, events: list[PendingEvent]) -> list[AuditEvent]:
    """Chain `events` onto the log inside the caller's transaction.

    Callers append last in their transaction: the head row lock is held from here to commit.
    """
    if not events:
        return []
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    rows = []
    for pending in events:
        at = utcnow()
        data = canonical_json(pending.data)
        seq = head.seq + 1
        digest = event_hash(head.hash, seq, at, pending.actor, pending.kind, pending.instance_id,
                            pending.task_id, pending.element_id, data)
        row = AuditEvent(seq=seq, at=at, actor=pending.actor, kind=pending.kind,
                         instance_id=pending.instance_id, task_id=pending.task_id,
                         element_id=pending.element_id, data=data, prev_hash=head.hash, hash=digest)
        session.add(row)
        rows.append(row)
        head.seq, head.hash = seq, digest
    return rows


def record(session: Session, kind: str, actor: str, **kwargs: Any) -> AuditEvent:
    return append(session, [PendingEvent(kind=kind, actor=actor, **kwargs)])[0]


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems}


def _rows(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq
        session.expunge_all()


def verify(session: Session, max_problems: int = 100) -> VerifyResult:
    """Recompute every hash and link; report edited, inserted and deleted rows."""
    problems: list[dict[str, Any]] = []
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for row in _rows(session):
        checked += 1
        if row.seq != expected_seq:
            problems.append({"seq": row.seq, "problem": f"rows {expected_seq}..{row.seq - 1} are missing"})
        if row.prev_hash != prev_hash:
            problems.append({"seq": row.seq, "problem": "does not link to the previous row"})
        digest = event_hash(row.prev_hash, row.seq, row.at, row.actor, row.kind, row.instance_id,
                            row.task_id, row.element_id, row.data)
        if digest != row.hash:
            problems.append({"seq": row.seq, "problem": "content does not match its hash (edited)"})
        prev_hash, expected_seq = row.hash, row.seq + 1
        if len(problems) >= max_problems:
            break
    head = session.get(AuditHead, 1)
    if head is not None and len(problems) < max_problems and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        problems.append({"seq": head.seq, "problem": "the last rows of the log are missing"})
    return VerifyResult(ok=not problems, checked=checked, problems=problems)
