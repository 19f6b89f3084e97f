"""Verify the hash-chained audit log (appending is server/audit.py's `publish`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import GENESIS, publisher_of, row_hash
from server.audit_compact import COMPACT_VERSION, IMPLIED_PREV
from server.models import AuditEvent, AuditHead

EDITED = "content does not match its hash (edited)"


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems}


def _rows(session: Session, chain: int, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.chain_seq > last)
            .order_by(AuditEvent.chain_seq).limit(batch)
        ).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].chain_seq
        session.expunge_all()


def verify(session: Session, max_problems: int = 100, key: bytes | None = None) -> VerifyResult:
    """Recompute every hash and link of every chain; report edited, inserted, reordered and deleted rows.

    The key defaults to the session's publisher's (BOMS_AUDIT_KEY): rows of the keyed formula whose
    hashes were recomputed without it do not verify.
    """
    key = key if key is not None else publisher_of(session).key
    heads = {head.id: (head.seq, head.hash, head.last_seq) for head in session.scalars(select(AuditHead))}
    chains = sorted(set(heads) | set(session.scalars(select(AuditEvent.chain).distinct())))
    problems: list[dict[str, Any]] = []
    checked = 0
    for chain in chains:
        if chain not in heads:
            first = session.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.chain == chain))
            problems.append({"seq": first, "problem": f"chain {chain} has rows but no head"})
        checked += _verify_chain(session, chain, heads.get(chain), key, problems, max_problems)
        if len(problems) >= max_problems:
            break
    return VerifyResult(ok=not problems, checked=checked, problems=problems[:max_problems])


def _verify_chain(session: Session, chain: int, head: tuple[int, str, int] | None, key: bytes,
                  problems: list[dict[str, Any]], max_problems: int) -> int:
    prev_hash, expected, checked, keyed, last = GENESIS, 1, 0, False, None
    for row in _rows(session, chain):
        checked += 1
        if row.chain_seq != expected:
            where = "" if chain == 1 else f" of chain {chain}"
            problems.append({"seq": row.seq, "problem": f"rows {expected}..{row.chain_seq - 1}{where} are missing"})
        # A compact row stores no link: its hash, computed over the previous row's, is the link.
        if row.prev_hash != prev_hash and not (row.hash_version == COMPACT_VERSION and row.prev_hash == IMPLIED_PREV):
            problems.append({"seq": row.seq, "problem": "does not link to the previous row"})
        try:
            intact = row_hash(row, key, prev_hash) == row.hash
        except ValueError:
            intact = False
        if not intact:
            # A compact row's hash covers its link too: a moved row, or one after a deleted row, shows here.
            problems.append({"seq": row.seq, "problem": EDITED})
        # The unkeyed formula is only the legacy prefix of chain 1: anything else written with it is a
        # forgery by someone without the key.
        if row.hash_version == 1 and (keyed or chain != 1 or row.chain_seq != row.seq):
            problems.append({"seq": row.seq, "problem": "an unkeyed row where only keyed rows may be (forged)"})
        keyed = keyed or row.hash_version != 1
        prev_hash, expected, last = row.hash, row.chain_seq + 1, row
        if len(problems) >= max_problems:
            return checked
    if head is not None and (head[0] != expected - 1 or head[1] != prev_hash):
        problems.append({"seq": head[2] or head[0], "problem": "the last rows of the log are missing"
                         if head[0] > expected - 1 else "the chain head does not match its last row"})
    elif last is not None and not keyed:
        problems.append({"seq": last.seq, "problem": "the unkeyed rows are not sealed by a keyed row "
                                                     "(`boms db upgrade` writes one)"})
    return checked
