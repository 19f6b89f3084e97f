"""A worker takes the jobs its poller claimed even when another poller's claim statement briefly holds their
rows (PostgreSQL keeps the lock of a row it re-checked and passed over until that statement's transaction
commits): the first look skips them, the second one a moment later takes them, so they do not wait out the
whole claim. A job a live worker really holds is still left to it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from server.db import utcnow
from server.models import Job
from server.services.job_lease import take


def _queued(app: Any, count: int) -> list[int]:
    with app.extensions["boms_db"].write() as session:
        jobs = [Job(kind="rule_run", payload={}, status="queued", due_at=utcnow(), locked_until=utcnow())
                for _ in range(count)]
        session.add_all(jobs)
        session.flush()
        return [job.id for job in jobs]


def _hold(app: Any, ids: list[int], seconds: float, locked: threading.Event) -> None:
    with app.extensions["boms_db"].write() as session:
        list(session.scalars(select(Job.id).where(Job.id.in_(ids)).with_for_update()))
        locked.set()
        threading.Event().wait(seconds)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no row locks
def test_rows_held_a_moment_by_another_claim_are_taken_on_the_second_look(app: Any) -> None:
    ids = _queued(app, 5)
    locked = threading.Event()
    holder = threading.Thread(target=_hold, args=(app, ids, 0.01, locked))
    holder.start()
    locked.wait(5)
    taken = take(app.extensions["boms_db"], ids)
    holder.join()
    assert sorted(taken) == sorted(ids)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rows_a_worker_holds_through_both_looks_are_left_to_it(app: Any) -> None:
    ids = _queued(app, 3)
    locked = threading.Event()
    holder = threading.Thread(target=_hold, args=(app, ids[:1], 1.0, locked))
    holder.start()
    locked.wait(5)
    taken = take(app.extensions["boms_db"], ids)
    holder.join()
    assert sorted(taken) == sorted(ids[1:])
