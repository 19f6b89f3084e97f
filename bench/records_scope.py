"""Row scopes as a JEXL condition, and changing a field's type, over N records of one type.

Prints, through the records service (the path of the API and the pages, without HTTP):
- a list page (50 rows, sorted by amount) read by an admin (no scope: the floor) and by a staff member whose
  grant has the condition ``owner == $me || region == $me.department``: p50/p95 of 30 runs and the ratio;
- a type change of a text field holding numbers to an integer field (every value converted in Python through
  the one validator, the column swapped): its time, beside the bare SQL floor of one UPDATE of every row.

    .venv/bin/python bench/records_scope.py --rows 20000 [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_app, machine  # noqa: E402

REGIONS = ["north", "south", "east", "west"]
TYPE = {"key": "deal", "name": {"en": "Deal", "zh": "商机"},
        "fields": [{"key": "owner", "label": {"en": "Owner", "zh": "负责人"}, "type": "text"},
                   {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "text"},
                   {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "decimal"},
                   {"key": "qty", "label": {"en": "Qty", "zh": "数量"}, "type": "text"}],
        "permissions": [{"roles": ["staff"], "actions": ["read"],
                         "rows": {"kind": "condition", "condition": "owner == $me || region == $me.department"}}]}


def _fill(app: Any, rows: int) -> None:
    from server.db import utcnow
    from server.records.storage import table_of
    from server.records.types import latest, save

    rng = random.Random(7)
    with app.extensions["boms_db"].write() as session:
        save(session, TYPE, "bench")
        table = table_of(latest(session, "deal").definition)
        now = utcnow()
        batch = [{"version": 1, "created_at": now, "created_by": "bench", "updated_at": now, "updated_by": "bench",
                  "owner": f"user{rng.randint(1, 200)}", "region": rng.choice(REGIONS),
                  "amount": f"{rng.randint(0, 1_000_000) / 100:.2f}", "qty": str(rng.randint(1, 999))}
                 for _ in range(rows)]
        for start in range(0, rows, 5000):
            session.execute(insert(table), batch[start:start + 5000])


def _list_ms(app: Any, who: Any, runs: int = 30) -> list[float]:
    from server.queries import PageRequest
    from server.records import service

    samples = []
    for _ in range(runs):
        with app.extensions["boms_db"].read() as session:
            started = time.perf_counter()
            service.list_records(session, who, "deal", None, "-amount", PageRequest(size=50))
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1]


def run(database_url: str | None, rows: int) -> None:
    from server.auth.permissions import Principal
    from server.records.storage import table_of
    from server.records.types import latest, save

    with bench_app(database_url) as (app, db):
        _fill(app, rows)
        admin = Principal(1, "admin", frozenset({"admin"}), frozenset())
        staff = Principal(2, "user7", frozenset({"staff"}), frozenset(), "north")
        floor, scoped = _list_ms(app, admin), _list_ms(app, staff)
        print(f"{db.label}, {rows:,} records")
        print(f"  list page, no scope (admin): p50 {statistics.median(floor):7.2f} ms  p95 {_p(floor, 95):7.2f} ms")
        print(f"  list page, condition scope:  p50 {statistics.median(scoped):7.2f} ms  p95 {_p(scoped, 95):7.2f} ms"
              f"  ({statistics.median(scoped) / statistics.median(floor):.2f}x the floor)")
        with app.extensions["boms_db"].write() as session:
            table = table_of(latest(session, "deal").definition)
            started = time.perf_counter()
            session.execute(update(table).values(qty=table.c.qty))
            bare = time.perf_counter() - started
            session.execute(text("SELECT 1"))
        retyped = {**TYPE, "fields": [*TYPE["fields"][:3], {**TYPE["fields"][3], "type": "integer"}]}
        with app.extensions["boms_db"].write() as session:
            started = time.perf_counter()
            save(session, retyped, "bench")
            spent = time.perf_counter() - started
        print(f"  type change text -> integer: {spent * 1000:9.0f} ms ({rows / spent:,.0f} records/s); "
              f"bare SQL UPDATE of every row {bare * 1000:.0f} ms ({spent / bare:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(machine())
    if not args.skip_sqlite:
        run(None, args.rows)
    if args.postgres:
        run(args.postgres, args.rows)


if __name__ == "__main__":
    main()
