"""Records storage: one JSON document per record vs a real table with a column per field.

Measures, on SQLite and PostgreSQL, over N rows of one record type (region, status, amount, name):
- a list page: a two-condition filter (status = 'open' AND amount >= 5000), sorted by amount descending
  with the id as tie-breaker, the first 50 rows (p50/p95 of 30 runs);
- sum of amount grouped by region (median of 5 runs);
for both layouts, each with the index its filter needs (an expression index on the JSON document).

    .venv/bin/python bench/records.py --rows 200000 [--postgres URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

REGIONS = ["north", "south", "east", "west", "central", "overseas"]
STATUSES = ["open", "late", "won", "lost", "paused"]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _rows(n: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    return [{"id": i + 1, "region": rng.choice(REGIONS), "status": rng.choice(STATUSES),
             "amount": f"{rng.randint(0, 10_000_00) / 100:.2f}", "name": f"customer {rng.randint(1, 50_000)}"}
            for i in range(n)]


def _json_path(dialect: str, key: str, cast: str | None = None) -> str:
    if dialect == "sqlite":
        return f"json_extract(data, '$.{key}')"
    expr = f"(data ->> '{key}')"
    return f"({expr})::{cast}" if cast else expr


def _setup(engine: Engine, rows: list[dict[str, object]]) -> None:
    dialect = engine.dialect.name
    amount = "NUMERIC(18, 2)"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_typed"))
        conn.execute(text("DROP TABLE IF EXISTS bench_json"))
        conn.execute(text(f"CREATE TABLE bench_typed (id INTEGER PRIMARY KEY, region VARCHAR(40), "
                          f"status VARCHAR(40), amount {amount}, name VARCHAR(200))"))
        json_type = "JSONB" if dialect == "postgresql" else "JSON"
        conn.execute(text(f"CREATE TABLE bench_json (id INTEGER PRIMARY KEY, data {json_type} NOT NULL)"))
        conn.execute(text("INSERT INTO bench_typed (id, region, status, amount, name) "
                          "VALUES (:id, :region, :status, :amount, :name)"), rows)
        import json
        docs = [{"id": r["id"], "data": json.dumps({**r, "amount": float(str(r["amount"]))})} for r in rows]
        conn.execute(text("INSERT INTO bench_json (id, data) VALUES (:id, :data)"), docs)
        conn.execute(text("CREATE INDEX bt_status_amount ON bench_typed (status, amount)"))
        conn.execute(text("CREATE INDEX bt_region ON bench_typed (region)"))
        status, amount_expr = _json_path(dialect, "status"), _json_path(dialect, "amount", "numeric")
        conn.execute(text(f"CREATE INDEX bj_status_amount ON bench_json (({status}), ({amount_expr}))"))
        conn.execute(text(f"CREATE INDEX bj_region ON bench_json (({_json_path(dialect, 'region')}))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _queries(dialect: str) -> dict[str, tuple[str, str]]:
    status, amount = _json_path(dialect, "status"), _json_path(dialect, "amount", "numeric")
    region = _json_path(dialect, "region")
    return {
        "typed": ("SELECT id, region, status, amount, name FROM bench_typed WHERE status = 'open' AND amount >= 5000 "
                  "ORDER BY amount DESC, id LIMIT 50",
                  "SELECT region, SUM(amount) FROM bench_typed GROUP BY region"),
        "json": (f"SELECT id, data FROM bench_json WHERE {status} = 'open' AND {amount} >= 5000 "
                 f"ORDER BY {amount} DESC, id LIMIT 50",
                 f"SELECT {region}, SUM({amount}) FROM bench_json GROUP BY {region}"),
    }


def _time(run: Callable[[], object], times: int) -> list[float]:
    run()  # warm the cache
    result = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        result.append((time.perf_counter() - start) * 1000)
    return result


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def measure(engine: Engine, label: str, n: int) -> None:
    start = time.perf_counter()
    _setup(engine, _rows(n))
    print(f"{label}: {n:,} rows loaded into both layouts in {time.perf_counter() - start:.1f} s")
    for layout, (page, total) in _queries(engine.dialect.name).items():
        with engine.connect() as conn:
            pages = _time(lambda q=page, c=conn: c.execute(text(q)).fetchall(), 30)
            sums = _time(lambda q=total, c=conn: c.execute(text(q)).fetchall(), 5)
        print(f"  {layout:5}  list page (filter+sort+50): p50 {statistics.median(pages):7.2f} ms  "
              f"p95 {_p95(pages):7.2f} ms   sum by region: median {statistics.median(sums):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", default=PG_ADMIN, help="an admin URL; a scratch database is made and dropped")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as workdir:
            engine = create_engine(f"sqlite:///{Path(workdir) / 'bench.db'}")
            measure(engine, "SQLite", args.rows)
            engine.dispose()
    if not args.skip_postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"boms_bench_records_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = create_engine(args.postgres.rsplit("/", 1)[0] + f"/{name}")
            measure(engine, "PostgreSQL", args.rows)
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
