"""The plan and the time of every statement one read issues (`bench/inbox_scale.py --explain`).

Records the statements and parameters of one call through the app's engine events, then runs each
SELECT again on its own connection: PostgreSQL `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF)` (with the serial
plans the reads ask for), SQLite `EXPLAIN QUERY PLAN` and the statement itself timed. Prints them per read, slowest
first, so a plan that reads the wrong index shows beside its milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event


def record(engine: Any, call: Callable[[], None]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return seen


def _explain(engine: Any, statement: str, params: Any) -> tuple[float, list[str]]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            # TIMING OFF: per-node clocks cost more than these reads do.
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + statement, params)
            lines = [row[0] for row in cursor.fetchall()]
            took = next((float(line.split(":")[1].split()[0]) for line in lines
                         if line.startswith("Execution Time")), 0.0)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            lines = [row[-1] for row in cursor.fetchall()]
            began = time.perf_counter()
            cursor.execute(statement, params)
            cursor.fetchall()
            took = (time.perf_counter() - began) * 1000
        cursor.close()
        raw.rollback()
        return took, lines
    finally:
        raw.close()


def explain(engine: Any, reads: dict[str, Callable[[], None]], plan_lines: int = 60) -> None:
    for name, call in reads.items():
        call()  # warm, as the timed runs are
        statements = record(engine, call)
        timed = [(*_explain(engine, sql, params), sql) for sql, params in statements]
        total = sum(took for took, _, _ in timed)
        print(f"\n=== {name}: {len(statements)} SELECTs, {total:.1f} ms in the database")
        for took, lines, sql in sorted(timed, key=lambda t: -t[0]):
            print(f"--- {took:7.2f} ms  {' '.join(sql.split())[:220]}")
            for line in lines[:plan_lines]:
                print(f"      {line}")
