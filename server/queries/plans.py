"""How short interactive reads ask PostgreSQL to plan them.

A page of 25 tasks with its counts is a few milliseconds of index work. PostgreSQL nevertheless plans
some of them with parallel workers (a semi-join whose selectivity it cannot guess), and starting workers
costs more than it saves, most of all on a busy machine: at a million tasks on 2 shared cores,
`GET /tasks?candidateGroup=G` took 19.5 ms with workers and 8.3 ms without, the groups tab 173 ms and
60 ms (bench/inbox_scale.py). Reports and dashboards keep the server's setting.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def serial_plans(session: Session) -> None:
    """No parallel workers for the rest of this transaction (PostgreSQL; SQLite has none)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
