"""Records through HTTP (the real app, the real table per type): list reads, one create, bulk create, sum by region.

    .venv/bin/python bench/records_http.py --rows 1000000 [--database postgresql+psycopg://postgres@127.0.0.1/postgres]
        [--keep FILE-or-DATABASE] [--runs 40] [--explain] [--profile]

Rows are loaded straight into the type's table (PostgreSQL COPY, SQLite executemany through the driver: far faster
than the API); ``--keep`` keeps the database (a SQLite file, a PostgreSQL database name) so the next run loads only
what is missing and drops what the last run wrote. Per read (GET /api/v1/records/contract with a two-condition
filter, a sort and 50 rows: the first page with its count, cursor pages walked, an offset page): p50/p95 over
--runs requests, and the floor: the SQL statements one request ran, captured and replayed bare through the driver
(all of them; and the slowest alone). Then the median of POST /api/v1/records/contract with its audit event and
the SQL time inside it, records/s of the bulk path (1,000 creates per call) beside a bare executemany of the same
rows, and the bare SQL of sum(amount) by region (the floor an analytics query starts from).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import add_user, bench_app, machine  # noqa: E402

START = datetime(2025, 1, 1)
SEED = "seed"  # created_by of the loaded rows: what a kept database keeps
TYPE = {
    "key": "contract", "name": {"en": "Contract", "zh": "合同"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "money", "currency": "CNY",
         "indexed": True},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": r, "label": {"en": r, "zh": r}} for r in ("north", "south", "east", "west")]},
        {"key": "status", "label": {"en": "Status", "zh": "状态"}, "type": "select", "indexed": True,
         "options": [{"value": s, "label": {"en": s, "zh": s}} for s in ("open", "late", "won", "lost")]},
    ],
}
FILTER = {"filter": 'status == "open" && amount >= 5000', "sort": "-amount", "pageSize": 50}


def _p(values: list[float], q: float) -> float:
    return sorted(values)[max(0, int(len(values) * q + 0.5) - 1)]


class Capture:
    """The statements (with their parameters and time) the app runs while ``on``."""

    def __init__(self, engine: Any) -> None:
        self.on, self.statements, self._began = False, [], 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        self._began = time.perf_counter()

    def _after(self, _c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if self.on:
            self.statements.append((statement, params, many, (time.perf_counter() - self._began) * 1000))

    def take(self) -> list[tuple[str, Any, bool, float]]:
        taken, self.statements = self.statements, []
        return taken


def _replay(engine: Any, statements: list[tuple[str, Any, bool, float]], runs: int) -> tuple[float, float, int]:
    """Median ms of all the statements replayed bare, of the slowest one alone, and its index."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        each: list[list[float]] = [[] for _ in statements]
        for _ in range(runs):
            for i, (sql, params, _, _) in enumerate(statements):
                if sql.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")):
                    each[i].append(0.0)  # the transaction is the replay's own
                    continue
                began = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall() if cursor.description else None
                each[i].append((time.perf_counter() - began) * 1000)
            raw.rollback()
    finally:
        raw.close()
    medians = [_p(t, .5) for t in each]
    slowest = max(range(len(statements)), key=lambda i: medians[i])
    return sum(medians), medians[slowest], slowest


def _seed(engine: Any, table: Any, have: int, rows: int) -> None:
    rng = random.Random(have)
    names = ("title", "amount", "region", "status", "version", "created_at", "created_by", "updated_at",
             "updated_by")

    def values(first: int, last: int) -> list[tuple[Any, ...]]:
        at = [(START + timedelta(seconds=30 * i)).isoformat(" ") for i in range(first, last)]  # a record a 30 s
        return [(f"contract {i}", Decimal(rng.randint(0, 1_000_000)) / 100, rng.choice(("north", "south", "east",
                 "west")), rng.choice(("open", "late", "won", "lost")), 1, at[i - first], SEED, at[i - first], SEED)
                for i in range(first, last)]

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for first in range(have, rows, 50_000):
            chunk = values(first, min(first + 50_000, rows))
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                chunk = [(*r[:1], str(r[1]), *r[2:]) for r in chunk]
                cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                                   f"({', '.join('?' * len(names))})", chunk)
        if engine.dialect.name == "postgresql":
            cursor.execute("ANALYZE")  # what autovacuum does after such a load
        raw.commit()
    finally:
        raw.close()


def _explain(engine: Any, sql: str, params: Any) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join("      " + " ".join(str(c) for c in r[-1:]) for r in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


READS = {"first page with its count": FILTER, "cursor pages (walked)": FILTER,
         "offset page 20": {**FILTER, "page": 20}, "no filter, newest first": {"sort": "-created_at",
                                                                                "pageSize": 50}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="a PostgreSQL admin URL; default: SQLite")
    parser.add_argument("--keep", default=None, help="keep the database: a SQLite file or a PostgreSQL database name")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--bulk-calls", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the plan of each read's slowest statement")
    parser.add_argument("--profile", action="store_true", help="a cProfile of 20 first-page reads and 20 creates")
    parser.add_argument("--plain", action="store_true", help="no field declared indexed (the figures before)")
    args = parser.parse_args()
    print(machine())
    kind = {**TYPE, "fields": [{k: v for k, v in f.items() if k != "indexed" or not args.plain}
                               for f in TYPE["fields"]]}
    with bench_app(args.database, args.keep) as (app, db):
        from server.records.storage import table_of
        from server.records.types import save

        engine = app.extensions["boms_db"].engine
        client = app.test_client()
        _, _, token = add_user(app, ["admin"], [])
        headers = {"Authorization": f"Bearer {token}"}
        began = time.perf_counter()
        with app.extensions["boms_db"].write() as session:
            row, _ = save(session, kind, "bench")
            definition = row.definition
        print(f"{db.label}: type saved (its indexes made) in {time.perf_counter() - began:.1f} s")
        table = table_of(definition)
        with engine.begin() as conn:
            conn.execute(delete(table).where(table.c.created_by != SEED))  # what an earlier run wrote
            have = conn.scalar(select(func.count()).select_from(table)) or 0
        began = time.perf_counter()
        if have < args.rows:
            _seed(engine, table, have, args.rows)
        from server.records.statistics import sweep_statistics

        sweep_statistics(app.extensions["boms_db"], app.config)  # SQLite: what the poller does within a minute
        print(f"  {args.rows:,} contracts ({have:,} kept, {max(0, args.rows - have):,} loaded in "
              f"{time.perf_counter() - began:.1f} s); load average now {machine().rsplit('average ', 1)[1]}")
        capture = Capture(engine)
        url = "/api/v1/records/contract"
        for name, query in READS.items():
            times, cpu, cursor = [], [], None
            for i in range(args.runs + 1):
                capture.on = i == args.runs
                began, used = time.perf_counter(), time.process_time()
                response = client.get(url, headers=headers, query_string={**query, **({"cursor": cursor} if cursor
                                                                                       else {})})
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - used) * 1000)
                capture.on = False
                assert response.status_code == 200, response.get_json()
                if name.startswith("cursor"):  # the first request is the first page, then the cursors
                    cursor = response.get_json()["nextCursor"]
            statements = capture.take()
            bare, slowest, slowest_at = _replay(engine, statements, 9)
            body = response.get_json()
            shown = f"total {body['total']}" if "total" in body else \
                f"count {'more than ' + str(body['totalAbove']) if 'totalAbove' in body else 'none'}"
            print(f"  {name} ({shown}): HTTP p50 {_p(times[1:], .5):.1f} ms, p95 {_p(times[1:], .95):.1f} ms "
                  f"(this process's CPU p50 {_p(cpu[1:], .5):.1f} ms); floor, its {len(statements)} statements "
                  f"bare: {bare:.2f} ms (slowest {slowest:.2f} ms)")
            if args.explain:
                sql, params = statements[slowest_at][:2]
                print(f"    slowest: {' '.join(sql.split())[:300]}\n{_explain(engine, sql, params)}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(20):
                client.get(url, headers=headers, query_string=FILTER)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
            print(out.getvalue())
        creates, inside, counts, cpu = [], [], [], []
        for i in range(51):
            capture.on = True
            began, used = time.perf_counter(), time.process_time()
            response = client.post(url, headers=headers, json={"fields": {"title": f"new {i}", "amount": "10.00",
                                                                          "region": "north", "status": "open"}})
            creates.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - used) * 1000)
            capture.on = False
            assert response.status_code == 201, response.get_json()
            taken = capture.take()
            inside.append(sum(s[3] for s in taken))
            counts.append(len(taken))
        print(f"  create one record with its audit event: median {_p(creates[1:], .5):.1f} ms, "
              f"p95 {_p(creates[1:], .95):.1f} ms (this process's CPU p50 {_p(cpu[1:], .5):.1f} ms); SQL inside "
              f"it median {_p(inside[1:], .5):.1f} ms "
              f"({_p(counts, .5)} statements)")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for i in range(20):
                client.post(url, headers=headers, json={"fields": {"title": f"p {i}", "amount": "1.00"}})
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
            print(out.getvalue())
        made, began = 0, time.perf_counter()
        for call in range(args.bulk_calls):
            rows = [{"fields": {"title": f"bulk {call}-{i}", "amount": "10.00", "region": "east", "status": "won"}}
                    for i in range(1000)]
            response = client.post(url + "/bulk", headers=headers, json={"create": rows})
            assert response.status_code == 200, response.get_json()
            made += len(response.get_json()["created"])
        seconds = time.perf_counter() - began
        floor_began = time.perf_counter()
        for call in range(args.bulk_calls):
            with engine.begin() as conn:  # the same rows, one bare executemany a call
                conn.execute(insert(table), [{"title": f"floor {call}-{i}", "amount": Decimal("10.00"),
                                              "region": "east", "status": "won", "created_by": "bench",
                                              "updated_by": "bench"} for i in range(1000)])
        floor = args.bulk_calls * 1000 / (time.perf_counter() - floor_began)
        print(f"  bulk create, 1,000 per call, {args.bulk_calls} calls: {made / seconds:,.0f} records/s "
              f"(bare executemany of the rows, no validation or audit: {floor:,.0f} records/s; "
              f"ratio {floor / (made / seconds):.1f}x)")
        with engine.connect() as conn:
            sums = []
            for _ in range(5):
                began = time.perf_counter()
                conn.execute(select(table.c.region, func.sum(table.c.amount)).group_by(table.c.region)).all()
                sums.append((time.perf_counter() - began) * 1000)
            conn.execute(text("SELECT 1"))
        print(f"  sum(amount) by region, bare SQL: median {_p(sums, .5):.1f} ms")
        print(f"  load average at the end: {machine().rsplit('average ', 1)[1]}")


if __name__ == "__main__":
    main()
