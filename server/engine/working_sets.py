"""Loaded engine states kept between steps, so a step on a big instance does not deserialize it again.

Loading an instance of a thousand open multi-instance tasks cost more than the rest of a completion;
the next step of the same instance in the same worker process now takes the workflow the last one
left. Correctness rests on the database alone:

- An entry is used only when the header it was saved as (which carries a counter every save
  increments: server/engine/store.py) is the instance's stored state, read under the instance's row
  lock, and it was built from the same parsed spec. A save by any other process changes the header,
  so a stale entry is never used, only dropped.
- A step takes its entry out of the cache; the entry goes back only after the step's transaction
  commits. A step that fails or rolls back leaves nothing behind, so no half-run workflow is reused.
- Instances that call other processes are not kept: their callee specs are resolved through the
  session of the step that loaded them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "boms_working_sets"  # Session.info: entries to keep once the transaction commits


@dataclass
class Entry:
    header: str
    spec: Any
    workflow: Any
    stored: Any  # server.engine.state_chunks.Stored: what the database holds
    size: int


class WorkingSets:
    """An LRU of entries per instance id, bounded by the number of engine tasks they hold."""

    def __init__(self, max_tasks: int = 200_000, max_entries: int = 512) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max_tasks, self._max_entries = max_tasks, max_entries
        self._tasks = 0

    def take(self, session: Session, instance_id: str, header: str, spec: Any) -> Entry | None:
        pending = session.info.get(_PENDING)
        entry = pending.pop(instance_id, None)[1] if pending and instance_id in pending else None
        if entry is None:
            with self._lock:
                entry = self._entries.pop(instance_id, None)
                if entry is not None:
                    self._tasks -= entry.size
        if entry is None or entry.header != header or entry.spec is not spec:
            return None
        return entry

    def keep(self, session: Session, instance_id: str, entry: Entry) -> None:
        """Keep `entry` for the next step once this transaction commits."""
        session.info.setdefault(_PENDING, {})[instance_id] = (self, entry)

    def drop(self, session: Session, instance_id: str) -> None:
        pending = session.info.get(_PENDING)
        if pending:
            pending.pop(instance_id, None)

    def _put(self, instance_id: str, entry: Entry) -> None:
        if entry.size > self._max_tasks:
            return
        with self._lock:
            old = self._entries.pop(instance_id, None)
            if old is not None:
                self._tasks -= old.size
            self._entries[instance_id] = entry
            self._tasks += entry.size
            while self._entries and (self._tasks > self._max_tasks or len(self._entries) > self._max_entries):
                _, evicted = self._entries.popitem(last=False)
                self._tasks -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._tasks = 0


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for instance_id, (sets, entry) in (session.info.pop(_PENDING, None) or {}).items():
        sets._put(instance_id, entry)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
