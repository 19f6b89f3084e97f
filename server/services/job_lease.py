"""Job leases: a worker takes the jobs a message hands it for a short time and renews them while it runs.

A claim by the poller (`claim_due`) covers the time a job waits in the broker; once a worker starts on
it, `take` shortens the claim to a lease of `LEASE_SECONDS` and a heartbeat thread renews it every
third of that while the worker is alive. A worker killed with its jobs in hand stops renewing, so its
jobs are due again within one lease instead of the poller's whole claim.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from types import TracebackType

from sqlalchemy import and_, or_, select, update

from server.db import Database, utcnow
from server.models import Job

logger = logging.getLogger(__name__)
LEASE_SECONDS = 30.0
LIVE = ("queued", "running")
RECHECK_SECONDS = 0.05


def take(database: Database, job_ids: list[int]) -> list[int]:
    """Lease to this worker those of `job_ids` nobody else is running; returns them.

    A job another live worker holds (a duplicate delivery: the broker redelivered, or the poller
    reclaimed) is left to it, so one job is not run twice at the same time.
    """
    if not job_ids:
        return []
    now = utcnow()
    with database.write() as session:
        free = and_(Job.id.in_(job_ids), or_(Job.status == "queued",
                                             (Job.status == "running") & (Job.locked_until < now)))
        query = select(Job.id).where(free)
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)  # a row another worker is finishing stays its
        taken = list(session.scalars(query))
        if not database.is_sqlite and len(taken) < len(job_ids):
            # Another poller's claim statement that scanned these rows just after our claim committed holds
            # them locked until it commits (PostgreSQL keeps the lock of a row it re-checked and passed over):
            # milliseconds, against the whole claim (CLAIM_SECONDS) they would otherwise wait. A job another
            # worker is really running stays locked through the second look as well.
            mine = set(taken)
            locked = [i for i in session.scalars(select(Job.id).where(free)) if i not in mine]
            if locked:
                time.sleep(RECHECK_SECONDS)
                taken += session.scalars(select(Job.id).where(free, Job.id.in_(locked))
                                         .with_for_update(skip_locked=True))
        if taken:
            session.execute(update(Job).where(Job.id.in_(taken))
                            .values(status="running", locked_until=now + timedelta(seconds=LEASE_SECONDS)))
    return taken


def renew(database: Database, job_ids: list[int]) -> int:
    """Extend the lease of those of `job_ids` still running; rows being finished right now are skipped
    (on PostgreSQL a blocked renewal could deadlock with the job's own transaction)."""
    with database.write() as session:
        query = select(Job.id).where(Job.id.in_(job_ids), Job.status.in_(LIVE))
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if ids:
            session.execute(update(Job).where(Job.id.in_(ids))
                            .values(locked_until=utcnow() + timedelta(seconds=LEASE_SECONDS)))
    return len(ids)


class Heartbeat:
    """`with Heartbeat(database, ids):` keeps the lease on `ids` while the block runs."""

    def __init__(self, database: Database, job_ids: list[int], interval: float | None = None) -> None:
        self.database, self.job_ids = database, list(job_ids)
        self.interval = LEASE_SECONDS / 3 if interval is None else interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._parent = os.getppid()
        self.beats = 0

    def __enter__(self) -> Heartbeat:
        if self.job_ids:
            self._thread = threading.Thread(target=self._beat, name="boms-job-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 35.0)  # a renewal may wait out SQLite's busy timeout

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            if os.getppid() != self._parent:
                # A prefork child whose worker was killed: its broker connection is gone, so the job will be
                # handed out again; renewing would keep it from the live workers.
                logger.warning("the worker process that started jobs %s is gone; no longer renewing", self.job_ids)
                return
            try:
                renew(self.database, self.job_ids)
                self.beats += 1
            except Exception:  # noqa: BLE001 - a database blip: the next beat tries again
                logger.exception("renewing the lease of jobs %s failed", self.job_ids)
