"""Due jobs: claimed by a poller, run by workers, marked done together with their effect.

Lifecycle: pending → queued (claimed by a poller, `locked_until` set) → running → done; a failure
goes back to pending with a later due time (RetryLater) or to failed plus an incident on the
instance. A claim covers the wait in the broker (`CLAIM_SECONDS`); a worker that starts on a job
holds it by a short lease it renews while alive (server/services/job_lease.py), so the jobs of a
killed worker (started or only reserved) become claimable again within `LEASE_SECONDS`. Since a job
is finished in the same transaction as its effect, a second run finds it done and stops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from server.config import Config
from server.db import Database, utcnow
from server.engine.instance_operations import record_incident
from server.engine.runner import Runner
from server.errors import EngineError
from server.models import Job
from server.plugins import JobKind, plugins_of
from server.services.job_lease import LEASE_SECONDS, Heartbeat, take

logger = logging.getLogger(__name__)
# A job handed to the broker and taken by no worker for this long is handed out again: a poller killed
# before it sent the message, or a worker killed with it reserved but not started (Redis would give it
# back only after its one-hour visibility timeout). A backlog longer than this re-sends ids; a worker
# skips those another has taken (job_lease.take), so a re-send costs one small transaction.
CLAIM_SECONDS = LEASE_SECONDS


class RetryLater(Exception):
    def __init__(self, message: str, delay_seconds: float, max_attempts: int) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds
        self.max_attempts = max_attempts


@dataclass
class JobContext:
    database: Database
    runner: Runner
    config: Config
    job_id: int
    kind: str
    instance_id: str | None
    element_id: str | None
    task_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    shared: Session | None = field(default=None, repr=False)
    # How its kind runs (server/plugins.py JobKind: slow, batch); None: no engine registered the kind.
    how: JobKind | None = field(default=None, repr=False)
    due_at: datetime | None = None

    @property
    def slow(self) -> bool:
        return self.how is not None and self.how.slow

    @property
    def batched(self) -> bool:
        return self.how is not None and self.how.batch

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The job's write transaction: its own, or a savepoint in its batch's transaction."""
        if self.shared is None:
            with self.database.write() as session:
                yield session
        else:
            with self.shared.begin_nested():
                yield self.shared

    def finish(self, session: Session) -> bool:
        """Mark the job done in `session`'s transaction; False if another run finished it first.

        Call it before applying the effect: the update takes the job's row lock, so of two deliveries
        of one job only the first applies it.
        """
        values: dict[str, Any] = {"status": "done", "locked_until": None}
        if not self.slow:  # a slow kind counted its attempt before calling out
            values["attempts"] = Job.attempts + 1
        result = session.execute(update(Job).where(Job.id == self.job_id, Job.status.in_(("queued", "running")))
                                 .values(**values))
        return result.rowcount == 1


def claim_due(database: Database, limit: int = 500) -> list[int]:
    """Claim up to `limit` due jobs for this poller; stale claims of dead workers count as due."""
    now = utcnow()
    with database.write() as session:
        query = (select(Job.id).where(or_(
            (Job.status == "pending") & (Job.due_at <= now),
            Job.status.in_(("queued", "running")) & (Job.locked_until < now),
        )).order_by(Job.due_at).limit(limit))
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if ids:
            session.execute(update(Job).where(Job.id.in_(ids))
                            .values(status="queued", locked_until=now + timedelta(seconds=CLAIM_SECONDS)))
    return ids


def next_due_in(database: Database) -> float | None:
    """Seconds until the next pending job is due (None: nothing pending), so a poller can sleep."""
    with database.read() as session:
        due = session.scalar(select(Job.due_at).where(Job.status == "pending").order_by(Job.due_at).limit(1))
    return None if due is None else max(0.0, (due - utcnow()).total_seconds())


def _contexts(database: Database, runner: Runner, config: Config, kinds: Mapping[str, JobKind],
              job_ids: list[int]) -> list[JobContext]:
    with database.read() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(job_ids), Job.status.in_(("queued", "running")))
                               .order_by(Job.due_at, Job.id))
        return [JobContext(database, runner, config, job.id, job.kind, job.instance_id, job.element_id,
                           job.task_id, dict(job.payload or {}), job.attempts + 1, how=kinds.get(job.kind),
                           due_at=job.due_at)
                for job in jobs]


def run_jobs(app: Flask, job_ids: list[int]) -> int:
    """Run claimed jobs with the handlers the app's engines registered (server/plugins.py); finished,
    cancelled or suspended ones are skipped. Returns how many finished."""
    database = app.extensions["boms_db"]
    taken = take(database, job_ids)
    with Heartbeat(database, taken):
        return _run_taken(app, taken)


def _run_taken(app: Flask, job_ids: list[int]) -> int:
    database, runner, config = app.extensions["boms_db"], app.extensions["boms_runner"], app.config["BOMS"]
    contexts = _contexts(database, runner, config, plugins_of(app).jobs, job_ids)
    batch = [ctx for ctx in contexts if ctx.batched]
    done, failures = 0, []
    if batch:
        with database.write() as session:
            grouped, batch = _grouped(session, batch)
            done += grouped
            for ctx in batch:
                ctx.shared = session
                try:
                    ctx.how.handler(ctx)  # type: ignore[union-attr]  (only a registered kind is batched)
                    done += 1
                except Exception as exc:  # noqa: BLE001 - recorded below, after this transaction
                    failures.append((ctx, exc))
                finally:
                    ctx.shared = None
    for ctx, exc in failures:
        _failed(ctx, exc)
    for ctx in contexts:
        if not ctx.batched:
            done += _run(ctx)
    return done


def _grouped(session: Session, batch: list[JobContext]) -> tuple[int, list[JobContext]]:
    """Offer each kind's jobs to its group handler (in a savepoint: if it raises, none of its work stays and
    every job goes one by one); returns how many it did and the jobs left, in their order."""
    left: set[int] = set()
    done = 0
    for kind in dict.fromkeys(ctx.kind for ctx in batch):
        members = [ctx for ctx in batch if ctx.kind == kind]
        group = members[0].how.group if members[0].how else None
        if group is None or len(members) < 2:
            left.update(ctx.job_id for ctx in members)
            continue
        for ctx in members:
            ctx.shared = session
        try:
            with session.begin_nested():
                rest = group(members)
            left.update(ctx.job_id for ctx in rest)
            done += len(members) - len(rest)
        except Exception:  # noqa: BLE001 - the one-by-one path runs them all, each with its own outcome
            logger.warning("the %s group handler failed; running its %d jobs one by one", kind, len(members),
                           exc_info=True)
            left.update(ctx.job_id for ctx in members)
        finally:
            for ctx in members:
                ctx.shared = None
    return done, [ctx for ctx in batch if ctx.job_id in left]


def finish_many(session: Session, contexts: list[JobContext]) -> set[int]:
    """JobContext.finish for many (non-slow) jobs in one statement: the ids of those this run finished."""
    ids = [ctx.job_id for ctx in contexts]
    finished: set[int] = set()
    for start in range(0, len(ids), 500):
        finished.update(session.execute(update(Job).where(
            Job.id.in_(ids[start:start + 500]), Job.status.in_(("queued", "running"))).values(
            status="done", locked_until=None, attempts=Job.attempts + 1).returning(Job.id)).scalars())
    return finished


def run_job(app: Flask, job_id: int) -> bool:
    return run_jobs(app, [job_id]) == 1


def _run(ctx: JobContext) -> bool:
    database = ctx.database
    job_id = ctx.job_id
    if ctx.slow:
        with database.write() as session:
            marked = session.execute(update(Job).where(Job.id == job_id, Job.status.in_(("queued", "running")))
                                     .values(status="running", attempts=Job.attempts + 1,
                                             locked_until=utcnow() + timedelta(seconds=LEASE_SECONDS)))
            if marked.rowcount != 1:
                return False
    try:
        if ctx.how is None:
            raise RuntimeError(f"no handler for jobs of kind '{ctx.kind}'")
        ctx.how.handler(ctx)
    except Exception as exc:  # noqa: BLE001 - any failure of a job becomes a retry or an incident
        _failed(ctx, exc)
        return False
    return True


def _failed(ctx: JobContext, exc: Exception) -> None:
    database, runner = ctx.database, ctx.runner
    if isinstance(exc, RetryLater):
        if ctx.attempts < exc.max_attempts:
            _reschedule(database, ctx, str(exc), exc.delay_seconds)
        else:
            _fail(database, runner, ctx, f"{exc} (after {ctx.attempts} attempts)")
        return
    logger.warning("job %s (%s) failed: %s", ctx.job_id, ctx.kind, exc, exc_info=not isinstance(exc, EngineError))
    _fail(database, runner, ctx, str(exc))


def _reschedule(database: Database, ctx: JobContext, error: str, delay: float) -> None:
    with database.write() as session:
        session.execute(update(Job).where(Job.id == ctx.job_id, Job.status.in_(("queued", "running"))).values(
            status="pending", last_error=error, locked_until=None, attempts=ctx.attempts,
            due_at=utcnow() + timedelta(seconds=delay)))


def _fail(database: Database, runner: Runner, ctx: JobContext, error: str) -> None:
    with database.write() as session:
        job = session.get(Job, ctx.job_id)
        if job is None or job.status not in ("queued", "running"):
            return
        job.status, job.last_error, job.locked_until, job.attempts = "failed", error, None, ctx.attempts
        if ctx.instance_id:
            instance = runner.lock_instance(session, ctx.instance_id)
            record_incident(runner, session, instance, ctx.element_id, ctx.task_id, error)


def run_due(app: Flask, rounds: int = 100) -> int:
    """Claim and run everything due now, in this thread (tests, `boms jobs run`)."""
    total = 0
    for _ in range(rounds):
        ids = claim_due(app.extensions["boms_db"])
        if not ids:
            break
        total += run_jobs(app, ids)
    return total
