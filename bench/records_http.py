"""Records through HTTP (the real app, the real table per type): list page, one create, sum by region.

    .venv/bin/python bench/records_http.py --rows 100000 [--database postgresql+psycopg://postgres@127.0.0.1/postgres]

Rows are loaded straight into the type's table (a bulk insert: far faster than the API's bulk path);
then p50/p95 of GET /api/v1/records/contract?filter=...&sort=-amount&pageSize=50 (30 runs, cursors
walked), the median of POST /api/v1/records/contract with its audit event (50 runs), records/s of
POST /api/v1/records/contract/bulk with 1,000 creates per call (--bulk-calls calls) beside a bare executemany
of the same rows (the floor), and the bare SQL of
sum(amount) by region as the floor an analytics query starts from.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import add_user, bench_app, machine  # noqa: E402

TYPE = {
    "key": "contract", "name": {"en": "Contract", "zh": "合同"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "money", "currency": "CNY"},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": r, "label": {"en": r, "zh": r}} for r in ("north", "south", "east", "west")]},
        {"key": "status", "label": {"en": "Status", "zh": "状态"}, "type": "select",
         "options": [{"value": s, "label": {"en": s, "zh": s}} for s in ("open", "late", "won", "lost")]},
    ],
}


def _p(values: list[float], q: float) -> float:
    return sorted(values)[max(0, int(len(values) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="a PostgreSQL admin URL; default: SQLite")
    parser.add_argument("--bulk-calls", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    with bench_app(args.database) as (app, db):
        from sqlalchemy import Index

        from server.records.storage import table_of
        from server.records.types import save

        client = app.test_client()
        _, _, token = add_user(app, ["admin"], [])
        headers = {"Authorization": f"Bearer {token}"}
        with app.extensions["boms_db"].write() as session:
            row, _ = save(session, TYPE, "bench")
            definition = row.definition
        table = table_of(definition)
        rng = random.Random(7)
        start = time.perf_counter()
        with app.extensions["boms_db"].engine.begin() as conn:
            for first in range(0, args.rows, 20_000):
                conn.execute(insert(table), [
                    {"title": f"contract {i}", "amount": Decimal(rng.randint(0, 1_000_000)) / 100,
                     "region": rng.choice(["north", "south", "east", "west"]),
                     "status": rng.choice(["open", "late", "won", "lost"]), "created_by": "bench",
                     "updated_by": "bench"} for i in range(first, min(first + 20_000, args.rows))])
            # What the list's filter and sort need: an index a designer will be able to ask for (not built yet).
            Index("ix_bench_status_amount", table.c.status, table.c.amount).create(conn)
        print(f"{db.label}: {args.rows:,} contracts loaded in {time.perf_counter() - start:.1f} s")
        url = "/api/v1/records/contract"
        params = {"filter": 'status == "open" && amount >= 5000', "sort": "-amount", "pageSize": 50}
        times, cursor = [], None
        for _ in range(31):
            began = time.perf_counter()
            response = client.get(url, headers=headers, query_string={**params, **({"cursor": cursor} if cursor
                                                                                    else {})})
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.get_json()
            cursor = response.get_json()["nextCursor"]
        times = times[1:]
        print(f"  list page, filter + sort + 50, numbered first then cursors: p50 {_p(times, .5):.1f} ms, "
              f"p95 {_p(times, .95):.1f} ms")
        first_page = []
        for _ in range(10):
            began = time.perf_counter()
            client.get(url, headers=headers, query_string=params)
            first_page.append((time.perf_counter() - began) * 1000)
        print(f"  first page with its total (COUNT of the matches): median {_p(first_page, .5):.1f} ms")
        creates = []
        for i in range(50):
            began = time.perf_counter()
            response = client.post(url, headers=headers, json={"fields": {"title": f"new {i}", "amount": "10.00",
                                                                          "region": "north", "status": "open"}})
            creates.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 201, response.get_json()
        print(f"  create one record with its audit event: median {_p(creates, .5):.1f} ms")
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
            with app.extensions["boms_db"].engine.begin() as conn:  # the same rows, one bare executemany a call
                conn.execute(insert(table), [{"title": f"floor {call}-{i}", "amount": Decimal("10.00"),
                                              "region": "east", "status": "won", "created_by": "bench",
                                              "updated_by": "bench"} for i in range(1000)])
        floor = args.bulk_calls * 1000 / (time.perf_counter() - floor_began)
        print(f"  bulk create, 1,000 per call, {args.bulk_calls} calls: {made / seconds:,.0f} records/s "
              f"(bare executemany of the rows, no validation or audit: {floor:,.0f} records/s; "
              f"ratio {floor / (made / seconds):.1f}x)")
        with app.extensions["boms_db"].engine.connect() as conn:
            sums = []
            for _ in range(5):
                began = time.perf_counter()
                conn.execute(select(table.c.region, func.sum(table.c.amount)).group_by(table.c.region)).all()
                sums.append((time.perf_counter() - began) * 1000)
        print(f"  sum(amount) by region, bare SQL: median {_p(sums, .5):.1f} ms")


if __name__ == "__main__":
    main()
