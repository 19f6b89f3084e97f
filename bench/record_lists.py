"""List filters on records: a multi-select (a JSON list column) and a relation to many (a link table).

Measures, on SQLite and PostgreSQL, over N records, a list page (the first 50 by id descending) filtered by:
- floor: ``region == "north"`` (a plain column, no index: the scan the list filters also do);
- ``tags|containsAny(["red", "blue"])`` and ``tags|containsAll(["red", "blue"])`` (json_each / jsonb @>);
- ``parts|contains(K)`` (EXISTS over the link table, indexed by target);
each compiled by the records' filter compiler (server.expressions with the records' ListColumn), p50/p95 of
30 runs, and each filter's time as a ratio of the floor measured in the same run.

    .venv/bin/python bench/record_lists.py --rows 100000 [--postgres URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, create_engine, select, text
from sqlalchemy.engine import Engine

from server.expressions import compile_filter
from server.records.many import link_table, list_column

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TAGS = ["red", "blue", "green", "oak", "pine", "steel"]
PARTS = 500


def _tables() -> tuple[Table, Table]:
    metadata = MetaData()
    table = Table("rec_lbench", metadata, Column("id", Integer, primary_key=True), Column("region", String(20)),
                  Column("tags", JSON))
    field = {"key": "parts", "type": "relation", "target": "lbench_part", "multiple": True}
    Table("rec_lbench_part", metadata, Column("id", Integer, primary_key=True))
    link = link_table("lbench", field)
    return table, link


def _setup(engine: Engine, rows: int) -> None:
    rng = random.Random(7)
    table, link = _tables()
    with engine.begin() as conn:
        for name in (link.name, "rec_lbench", "rec_lbench_part"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        table.metadata.create_all(conn)
        link.create(conn)
        conn.execute(table.metadata.tables["rec_lbench_part"].insert(), [{"id": i + 1} for i in range(PARTS)])
        for start in range(0, rows, 20_000):
            batch = range(start, min(rows, start + 20_000))
            conn.execute(table.insert(), [{"id": i + 1, "region": rng.choice(["north", "south", "east", "west"]),
                                           "tags": rng.sample(TAGS, rng.randint(0, 3))} for i in batch])
            conn.execute(link.insert(), [{"source_id": i + 1, "target_id": t}
                                         for i in batch for t in rng.sample(range(1, PARTS + 1), 3)])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _page(engine: Engine, filter_text: str, runs: int = 30) -> tuple[float, float]:
    table, _link = _tables()
    columns = {"region": table.c.region,
               "tags": list_column("lbench", {"key": "tags", "type": "multi_select"}, table),
               "parts": list_column("lbench", {"key": "parts", "type": "relation", "target": "lbench_part",
                                               "multiple": True}, table)}
    statement = select(table.c.id).where(compile_filter(filter_text, columns)).order_by(table.c.id.desc()).limit(50)
    times = []
    with engine.connect() as conn:
        conn.execute(statement).all()  # warm
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(statement).all()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


FILTERS = ['region == "north"', 'tags|containsAny(["red", "blue"])', 'tags|containsAll(["red", "blue"])',
           "parts|contains(17)", "parts|containsAny([17, 18, 19])"]


def _report(name: str, engine: Engine, rows: int) -> None:
    started = time.perf_counter()
    _setup(engine, rows)
    print(f"{name}: {rows:,} records loaded in {time.perf_counter() - started:.1f} s")
    floor = None
    for filter_text in FILTERS:
        p50, p95 = _page(engine, filter_text)
        floor = floor or p50
        print(f"  {filter_text:40s} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  ({p50 / floor:5.1f}x the floor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=PG_ADMIN)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine(f"sqlite:///{Path(folder) / 'lists.db'}")
            _report("SQLite", engine, args.rows)
            engine.dispose()
    if not args.skip_postgres:
        name = f"bench_lists_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(args.postgres.rsplit("/", 1)[0] + f"/{name}")
        try:
            _report("PostgreSQL", engine, args.rows)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}"'))
            admin.dispose()


if __name__ == "__main__":
    main()
