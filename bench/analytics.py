"""The CEO cockpit's server time: every chart's data (figures.py, SQL aggregation) over N generated contracts.

Prints the median warm time of `service.dashboard_data` for the demo cockpit (8 charts) as the auditor (who
reads every row), with the result cache off (today's path), and the floor: the same SQL statements,
captured during one run and replayed bare through the driver (each statement's own median too, slowest
first). Then the Bokeh documents of every chart (`service.chart_item`, what the page fetches), with
--profile a cProfile of one warm run, and last the result cache on (server/analytics/cache.py): its miss,
its hit, and the read after a contract is written through BOMS.
Targets (issue 13): <= 300 ms on PostgreSQL and <= 1.5 s on SQLite at 1,000,000 contracts.

    .venv/bin/python bench/analytics.py [--rows 1000000] [--runs 5] [--profile]
                                        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

try:
    from bench.common import fresh_database, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import fresh_database, machine

ROOT = Path(__file__).resolve().parent.parent


def _contracts(count: int, seed: int = 1) -> Any:
    rng = random.Random(seed)
    today = date.today()
    regions = ["north", "east", "south", "west"]
    customers = [f"Customer {i}" for i in range(500)]
    now = __import__("server.db", fromlist=["utcnow"]).utcnow()
    for i in range(count):
        amount = Decimal(rng.randrange(5_000, 500_000))
        yield {"number": f"HT-{2000 + i // 10000:04d}-{i % 10000:04d}", "customer": rng.choice(customers),
               "amount": amount, "collected": amount / 2, "target": amount, "region": rng.choice(regions),
               "product_lines": ["sofa"], "signed_on": today - timedelta(days=rng.randrange(1500)), "signed": True,
               "version": 1, "created_at": now, "created_by": "bench", "updated_at": now, "updated_by": "bench"}


def _documents(app: Any, database: Any, who: Any, runs: int) -> None:
    """The Bokeh documents of every chart, as the page fetches them (one request each)."""
    from server.analytics import service

    times = []
    with app.app_context():
        for _ in range(runs + 1):
            started = time.perf_counter()
            with database.read() as session:
                charts = service.get(session, who, "ceo_cockpit")["charts"]
                for chart in charts:
                    service.chart_item(session, who, "ceo_cockpit", chart["key"], {}, "zh",
                                       lambda kind, key, chosen: "#", f"chart-{chart['key']}")
            times.append(time.perf_counter() - started)
    print(f"The 8 chart documents as the page fetches them (data + Bokeh json_item, zh): first {times[0] * 1000:.0f}"
          f" ms (builds the Bokeh models), then median {statistics.median(times[1:] or times) * 1000:.0f} ms (same "
          "rows: documents reused; the rest is the data)")


def _cached(app: Any, database: Any, who: Any, runs: int) -> None:
    """The result cache on (server/analytics/cache.py): a miss (computed, keyed and stored), a hit, and the
    read after a record written through BOMS (a miss that must see the new record)."""
    from server.analytics import service
    from server.analytics.cache import DEFAULT_BYTES, attach, install
    from server.auth.permissions import Principal
    from server.records import service as records

    cache = attach(database, DEFAULT_BYTES)

    def cockpit() -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        with database.read() as session:
            result = service.dashboard_data(session, who, "ceo_cockpit", {})
        return time.perf_counter() - started, result

    with app.app_context():
        offs, misses, hits = [], [], []
        for _ in range(runs):  # interleaved, so the three see the same load
            install(database, None)
            offs.append(cockpit()[0])
            install(database, cache)
            cache.clear()
            misses.append(cockpit()[0])
            hits.append(cockpit()[0])
        before = cockpit()[1]
        admin = Principal(0, "bench", frozenset({"admin"}), frozenset())
        started = time.perf_counter()
        with database.write() as session:
            records.create(session, admin, "contract", {"number": "HT-9999-0001", "customer": "Customer 1",
                                                        "amount": "1234", "region": "north",
                                                        "signed_on": date.today().isoformat()})
        write = time.perf_counter() - started
        after_write, after = cockpit()
    changed = [key for key in before if before[key]["rows"] != after[key]["rows"]]
    print(f"Result cache, runs interleaved: off median {statistics.median(offs) * 1000:.0f} ms, miss median "
          f"{statistics.median(misses) * 1000:.0f} ms (computed, keyed, stored), hit "
          f"median {statistics.median(hits) * 1000:.1f} ms (min {min(hits) * 1000:.1f}); one contract written "
          f"through BOMS ({write * 1000:.0f} ms), the next read {after_write * 1000:.0f} ms (a miss) changed "
          f"{len(changed)} of {len(before)} charts: {', '.join(changed)}")


def _profile(app: Any, database: Any, who: Any) -> None:
    from server.analytics import service

    profiler = cProfile.Profile()
    with app.app_context(), database.read() as session:
        profiler.enable()
        service.dashboard_data(session, who, "ceo_cockpit", {})
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one warm run")
    args = parser.parse_args()
    from server import create_app
    from server.analytics import service
    from server.analytics.cache import attach
    from server.auth.permissions import Principal
    from server.config import Config
    from server.records import types
    from server.records.storage import table_of

    with tempfile.TemporaryDirectory() as work, fresh_database(args.database_url, Path(work)) as db:
        app = create_app(Config.from_env(instance_path=Path(work) / "instance", database_url=db.url,
                                         secret_key="bench", testing=True))
        database = app.extensions["boms_db"]
        admin = Principal(0, "bench", frozenset({"admin"}), frozenset())
        with database.write() as session:
            for name in ("contract", "project"):
                types.save(session, json.loads((ROOT / f"records/{name}.record.json").read_text()), "bench")
            service.save(session, admin, json.loads((ROOT / "dashboards/ceo_cockpit.dashboard.json").read_text()))
            table = table_of(types.latest(session, "contract").definition)
        started = time.perf_counter()
        batch: list[dict[str, Any]] = []
        for row in _contracts(args.rows):
            batch.append(row)
            if len(batch) == 20_000:
                with database.write() as session:
                    session.execute(insert(table), batch)
                batch = []
        if batch:
            with database.write() as session:
                session.execute(insert(table), batch)
        print(f"{machine()}\n{db.label}: {args.rows:,} contracts inserted in {time.perf_counter() - started:.1f} s")
        if db.url.startswith("postgresql"):  # what autovacuum does after a bulk load (index-only scans need it)
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM ANALYZE {table.name}")
        auditor = Principal(1, "ada", frozenset({"auditor"}), frozenset())
        statements: list[tuple[str, Any]] = []
        engine = database.engine

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if statement.lstrip()[:6].upper() in ("SELECT", "WITH ("):  # not BEGIN, not the session's bookkeeping
                statements.append((statement, parameters))

        attach(database, 0)  # today's path first: the result cache off (every run computes)
        times = []
        with app.app_context():
            for run in range(args.runs + 1):  # the first run warms caches and captures the SQL
                if run == 0:
                    event.listen(engine, "before_cursor_execute", capture)
                started = time.perf_counter()
                with database.read() as session:
                    service.dashboard_data(session, auditor, "ceo_cockpit", {})
                elapsed = time.perf_counter() - started
                if run == 0:
                    event.remove(engine, "before_cursor_execute", capture)
                else:
                    times.append(elapsed)
        floors = []
        each: list[list[float]] = [[] for _ in statements]
        raw = engine.raw_connection()
        try:
            for _ in range(args.runs):
                cursor = raw.cursor()
                started = time.perf_counter()
                for i, (statement, parameters) in enumerate(statements):
                    one = time.perf_counter()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    each[i].append(time.perf_counter() - one)
                floors.append(time.perf_counter() - started)
                cursor.close()
        finally:
            raw.close()
        print(f"CEO cockpit (8 charts, {len(statements)} SQL statements) over {args.rows:,} contracts: "
              f"median {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}); bare SQL floor "
              f"median {statistics.median(floors) * 1000:.0f} ms (min {min(floors) * 1000:.0f})")
        slowest = sorted(range(len(statements)), key=lambda i: -statistics.median(each[i]))
        for i in slowest[:8]:
            print(f"  {statistics.median(each[i]) * 1000:7.1f} ms  {' '.join(statements[i][0].split())[:150]}")
        _documents(app, database, auditor, args.runs)
        if args.profile:
            _profile(app, database, auditor)
        _cached(app, database, auditor, args.runs)
        database.dispose()


if __name__ == "__main__":
    main()
