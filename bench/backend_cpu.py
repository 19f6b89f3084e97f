"""CPU time the PostgreSQL server processes of one database spent, read from /proc (server on this machine).

The client's `time.process_time()` leaves out the server's own work; this adds it without a clock the
machine's load inflates: the utime + stime of every backend connected to the database (the app's pool),
in clock ticks (usually 10 ms), so it is read around a whole run of calls and divided by their number.
None where it cannot be read (another database, another machine, no /proc).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 10.0


def _ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)


class BackendCpu:
    def __init__(self, engine: Any) -> None:
        # A connection of its own (never one of the app's pool, whose CPU it must count).
        self.probe = create_engine(engine.url, poolclass=NullPool) if engine.dialect.name == "postgresql" else None

    def ticks(self) -> dict[int, int] | None:
        """Per backend of the database (the probe's own left out): its CPU so far, in ticks."""
        if self.probe is None:
            return None
        with self.probe.connect() as conn:
            pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).all()
        found = {pid: _ticks(pid) for pid in pids}
        return {pid: t for pid, t in found.items() if t is not None} or None

    @staticmethod
    def spent_ms(before: dict[int, int] | None, after: dict[int, int] | None) -> float | None:
        """CPU between two readings; a backend that started in between counts from zero."""
        if before is None or after is None:
            return None
        return sum(t - before.get(pid, 0) for pid, t in after.items()) * TICK_MS
