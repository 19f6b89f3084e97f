"""SQLite's planner statistics for the record tables, kept roughly current.

Without statistics SQLite guesses that an equality on any index finds about ten rows, so a list filtered by
``status == "open"`` and sorted by an indexed ``amount`` walks the status index and sorts a quarter of a million
rows (half a second at 1,000,000 records) instead of walking the amount index and stopping after 50. ``ANALYZE``
fixes that, and nothing ran it. So: a record table is analyzed when an index is made on it (in the save's
transaction), and the poller's once-a-minute sweep re-analyzes a table whose highest row id has grown past twice
the rows its statistics describe (and past twice what it was at this process's last ANALYZE), so the cost (a
full ANALYZE: about a second at 1,000,000 rows, holding the write lock) is paid once per doubling.
``PRAGMA analysis_limit`` is no way out: it reads the first rows of each index, which for a select field are
all one option (measured: 1 distinct value in 1,000 where there are 4 in 1,000,000, and the wrong plan kept).
PostgreSQL's autovacuum keeps its own statistics: nothing is done there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from server.config import Config
from server.db import Database

SMALL = 1000  # a table below this many rows is read whole whatever the plan: not worth analyzing
# The highest row id each table had when this process last analyzed it: a table with many rows deleted keeps
# a high max(rowid) over fewer rows, and must not be analyzed again every minute for it.
_ANALYZED_AT: dict[tuple[str, str], int] = {}


def analyze(connection: Any, table: str) -> None:
    """Fresh statistics of ``table`` (SQLite only)."""
    if connection.dialect.name != "sqlite":
        return
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(f"ANALYZE {quote(table)}")


def _stale(connection: Any) -> list[tuple[str, int]]:
    tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rec\\_%' "
                                     "ESCAPE '\\'")).scalars().all()
    has_stats = connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
    described: dict[str, int] = {}
    if has_stats:
        for table, stat in connection.execute(text("SELECT tbl, stat FROM sqlite_stat1")):
            described[table] = max(described.get(table, 0), int(str(stat).split()[0] or 0))
    quote = connection.dialect.identifier_preparer.quote
    stale = []
    for table in tables:
        size = connection.execute(text(f"SELECT max(rowid) FROM {quote(table)}")).scalar() or 0  # not a count: cheap
        seen = _ANALYZED_AT.get((str(connection.engine.url), table), 0)
        if size >= SMALL and size > 2 * described.get(table, 0) and size > 2 * seen:
            stale.append((table, size))
    return stale


def sweep_statistics(database: Database, config: Config) -> int:
    """Re-analyze the record tables that outgrew their statistics (the poller's sweep); how many."""
    if database.engine.dialect.name != "sqlite":
        return 0
    with database.write() as session:
        connection = session.connection()
        stale = _stale(connection)
        for table, size in stale:
            analyze(connection, table)
            _ANALYZED_AT[(str(connection.engine.url), table)] = size
    return len(stale)
