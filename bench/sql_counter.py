"""Count the SQL statements and commits an action issues (SQLAlchemy engine events).

Attach to the app's engine, then `with counter.measure() as sample:` around one request made while
nothing else uses the database: `sample.statements`, `sample.commits`, and the statements' text
(for `--show-sql`). SQLite's `BEGIN IMMEDIATE` is counted apart: it is how the writer lock is taken,
not a statement of the action.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event


@dataclass
class Sample:
    statements: int = 0
    begins: int = 0
    commits: int = 0
    sql: list[str] = field(default_factory=list)


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self._lock = threading.Lock()
        self._current: Sample | None = None
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)
        self.engine = engine

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
                    _executemany: bool) -> None:
        with self._lock:
            sample = self._current
            if sample is None:
                return
            if statement.lstrip().upper().startswith("BEGIN"):
                sample.begins += 1
                return
            sample.statements += 1
            sample.sql.append(" ".join(statement.split())[:160])

    def _on_commit(self, _conn: Any) -> None:
        with self._lock:
            if self._current is not None:
                self._current.commits += 1

    @contextmanager
    def measure(self) -> Iterator[Sample]:
        sample = Sample()
        with self._lock:
            self._current = sample
        try:
            yield sample
        finally:
            with self._lock:
                self._current = None

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        event.remove(self.engine, "commit", self._on_commit)
