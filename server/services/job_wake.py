"""Waking the job poller as soon as a transaction that queued a job commits, instead of at its next poll.

A writer calls `wake_after_commit(session)` when it adds a job that is due now (a rule run). On
PostgreSQL the transaction also sends `NOTIFY boms_jobs`, which PostgreSQL delivers only if it
commits, to every poller listening on any node; pollers in this process are woken by a threading
event once the session commits (SQLite's embedded setup has its poller in the same process). The
poller still polls (`interval`), so a lost wake-up costs at most one interval, never a job.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from server.db import Database

logger = logging.getLogger(__name__)
CHANNEL = "boms_jobs"
_FLAG = "boms_wake_pending"
_local: weakref.WeakKeyDictionary[Any, threading.Event] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _event_of(engine: Any) -> threading.Event:
    with _lock:
        found = _local.get(engine)
        if found is None:
            found = _local[engine] = threading.Event()
        return found


def wake_after_commit(session: Session) -> None:
    """Wake the pollers when this session's transaction commits (once per transaction)."""
    if session.info.get(_FLAG):
        return
    session.info[_FLAG] = True
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine.dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))

    def committed(_session: Session) -> None:
        _session.info.pop(_FLAG, None)
        _event_of(engine).set()

    def rolled_back(_session: Session, *_: Any) -> None:
        _session.info.pop(_FLAG, None)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)


class Waiter:
    """What a poller sleeps on: a notification, a local wake-up, or the timeout, whichever comes first."""

    def __init__(self, database: Database) -> None:
        self.local = _event_of(database.engine)
        self._connection: Any = None
        if not database.is_sqlite:
            try:
                raw = database.engine.raw_connection()
                connection = raw.driver_connection
                raw.detach()  # a listening connection must not go back to the pool
                connection.autocommit = True
                connection.execute(f"LISTEN {CHANNEL}")
                self._connection = connection
            except Exception:  # noqa: BLE001 - without it the poller still polls
                logger.warning("the job poller could not LISTEN on %s; it polls only", CHANNEL, exc_info=True)

    def wait(self, seconds: float) -> None:
        if self._connection is None:
            self.local.wait(seconds)
            self.local.clear()
            return
        if self.local.is_set():
            self.local.clear()
            return
        try:
            for _ in self._connection.notifies(timeout=seconds, stop_after=1):
                pass
            self.local.clear()
        except Exception:  # noqa: BLE001 - a dropped listening connection: poll from now on
            logger.warning("the job poller lost its LISTEN connection; it polls only", exc_info=True)
            self.close()
            self.local.wait(seconds)

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                connection.close()
