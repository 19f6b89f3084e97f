"""Bulk edit of all matching records, and what never reusing ids costs a create.

    .venv/bin/python bench/records_bulk_edit.py --rows 20000 [--database postgresql+psycopg://postgres@127.0.0.1/postgres]

Loads --rows records (straight into the table), then times POST /api/v1/records/contract/bulk-edit with
{"all": true, "filter": ...} adding a multi-select option to every matching record (half the rows; batches
of 500 through the bulk path, one audit event each) beside the bulk API's own update of the other half by
id (1,000 per call, the same path: the comparison in the same run). Then the median of one create through
the API and what deciding its id costs alone, and on SQLite the same on a table made before AUTOINCREMENT
right after its 30 newest records were deleted (the id stepped past the audit history).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import add_user, bench_app, machine, median_ms  # noqa: E402

TYPE = {
    "key": "contract", "name": {"en": "Contract", "zh": "合同"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": r, "label": {"en": r, "zh": r}} for r in ("north", "south")]},
        {"key": "tags", "label": {"en": "Tags", "zh": "标签"}, "type": "multi_select",
         "options": [{"value": t, "label": {"en": t, "zh": t}} for t in ("a", "b", "c")]},
    ],
}


def _creates(client: object, headers: dict[str, str], runs: int = 40) -> float:
    times = []
    for i in range(runs):
        began = time.perf_counter()
        response = client.post("/api/v1/records/contract", headers=headers,  # type: ignore[attr-defined]
                               json={"fields": {"title": f"new {i}", "region": "north"}})
        times.append(time.perf_counter() - began)
        assert response.status_code == 201, response.get_json()
    return median_ms(times)


def _allocation(app: object, table: object) -> None:
    """What deciding the id costs one create (server/records/ids.explicit_id), alone: 200 calls."""
    from server.records import ids

    with app.extensions["boms_db"].read() as session:  # type: ignore[attr-defined]
        began = time.perf_counter()
        for _ in range(200):
            ids.explicit_id(session, table, "contract")  # type: ignore[arg-type]
        print(f"    of which the id decision: {(time.perf_counter() - began) / 200 * 1e6:.0f} µs a create")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database", default=None, help="a PostgreSQL admin URL; default: SQLite")
    args = parser.parse_args()
    print(machine())
    with bench_app(args.database) as (app, db):
        from server.records.storage import table_of
        from server.records.types import save

        client = app.test_client()
        _, _, token = add_user(app, ["admin"], [])
        headers = {"Authorization": f"Bearer {token}"}
        with app.extensions["boms_db"].write() as session:
            row, _ = save(session, TYPE, "bench")
        table = table_of(row.definition)
        with app.extensions["boms_db"].engine.begin() as conn:
            for first in range(0, args.rows, 20_000):
                conn.execute(insert(table), [{"title": f"c{i}", "region": ("north", "south")[i % 2], "tags": ["a"],
                                              "created_by": "bench", "updated_by": "bench"}
                                             for i in range(first, min(first + 20_000, args.rows))])
        matching = args.rows // 2
        began = time.perf_counter()
        response = client.post("/api/v1/records/contract/bulk-edit", headers=headers,
                               json={"all": True, "filter": 'region == "north"', "add": {"tags": ["b"]}})
        seconds = time.perf_counter() - began
        assert response.status_code == 200 and response.get_json()["changed"] == matching, response.get_json()
        south = list(range(2, args.rows + 1, 2))  # the other half, by id, through the bulk API
        began = time.perf_counter()
        for start in range(0, len(south), 1000):
            items = [{"id": i, "fields": {"tags": ["a", "c"]}} for i in south[start:start + 1000]]
            answer = client.post("/api/v1/records/contract/bulk", headers=headers, json={"update": items})
            assert answer.status_code == 200, answer.get_json()
        floor = len(south) / (time.perf_counter() - began)
        print(f"{db.label}: {args.rows:,} records; bulk-edit all matching ({matching:,}, add an option): "
              f"{seconds:.2f} s, {matching / seconds:,.0f} records/s (the bulk API updating the other half by "
              f"id, 1,000 a call: {floor:,.0f} records/s)")
        print(f"  create one record (AUTOINCREMENT table / sequence): median {_creates(client, headers):.2f} ms")
        _allocation(app, table)
        if db.label.lower().startswith("sqlite"):
            with app.extensions["boms_db"].engine.begin() as conn:  # as BOMS made it before: no AUTOINCREMENT
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'rec_contract'")).scalar()
                conn.execute(text("ALTER TABLE rec_contract RENAME TO rec_old"))
                conn.execute(text(sql.replace("AUTOINCREMENT", "")))
                conn.execute(text("INSERT INTO rec_contract SELECT * FROM rec_old"))
                conn.execute(text("DROP TABLE rec_old"))
            from server.records import ids

            ids._AUTOINCREMENT.clear()  # the bench itself rebuilt the table without it
            top = max(r for (r,) in app.extensions["boms_db"].engine.connect().execute(
                text("SELECT id FROM rec_contract ORDER BY id DESC LIMIT 1")))
            for record_id in range(top, top - 30, -1):  # the 30 newest deleted: their ids are in the history
                gone = client.delete(f"/api/v1/records/contract/{record_id}", headers=headers)
                assert gone.status_code == 204, gone.get_json()
            print(f"  create one record, legacy table after its 30 newest were deleted: median "
                  f"{_creates(client, headers):.2f} ms")
            _allocation(app, table)


if __name__ == "__main__":
    main()
