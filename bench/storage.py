"""Bytes on disk per completed instance of start + 2 user tasks + end, with its full history.

Runs `--instances` instances of tests/fixtures/camunda/two_user_tasks.bpmn through BOMS's write path
(services.processes.start and services.tasks.complete, one transaction per action, as the API does)
on a fresh database and divides the growth of each table (rows, TOAST and indexes) by their number:
on PostgreSQL pg_total_relation_size after VACUUM FULL; on SQLite the pages of each table and index
(the dbstat table), after VACUUM. Target: <= 4 KB per instance (issue 17).

    .venv/bin/python bench/storage.py [--instances 500]
                                      [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

try:
    from bench.common import FIXTURES, add_user, bench_app, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import FIXTURES, add_user, bench_app, machine

TARGET_BYTES = 4096


def table_bytes(app: Any, objects: bool = False) -> dict[str, int]:
    """Bytes per table, its indexes counted with it (`objects`: per table and per index instead)."""
    from sqlalchemy import text

    db = app.extensions["boms_db"]
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM FULL"))  # live rows only: the updated versions are reusable space
            rows = conn.execute(text(
                "SELECT c.relname, pg_total_relation_size(c.oid) - pg_indexes_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public' "
                "UNION ALL SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x JOIN pg_class i ON "
                "i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE n.nspname = 'public'" if objects else
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"))
            return {name: int(size) for name, size in rows}
    raw = db.engine.raw_connection()  # the driver's own: VACUUM must run outside any transaction
    try:
        raw.execute("VACUUM")
        name = "s.name" if objects else "coalesce(m.tbl_name, s.name)"
        rows = raw.execute(f"SELECT {name}, sum(s.pgsize) FROM dbstat s "
                           "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1").fetchall()
        return {name: int(size) for name, size in rows}
    finally:
        raw.close()


def run(app: Any, count: int, objects: bool = False) -> None:
    from sqlalchemy import select

    from server.auth.permissions import Principal
    from server.models import HumanTask, User
    from server.services import processes, tasks
    from server.services.deployments import UploadedFile, deploy

    db, runner = app.extensions["boms_db"], app.extensions["boms_runner"]
    user_id, name, _ = add_user(app, roles=["staff", "modeler"], groups=["employees"])
    path = FIXTURES / "two_user_tasks.bpmn"
    with db.write() as session:
        deploy(session, [UploadedFile(path.name, path.read_bytes())], name, False)
        who = Principal.of(session.get(User, user_id))
    before = table_bytes(app, objects)
    for _ in range(count):
        with db.write() as session:
            instance = processes.start(session, runner, who, "two_tasks", {}, None)
            instance_id = instance.id
        for variables in ({"note": "x"}, {}):
            with db.write() as session:
                task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                    HumanTask.status == "open"))
                tasks.complete(session, runner, who, task_id, variables)
    after = table_bytes(app, objects)
    grown = {t: after.get(t, 0) - before.get(t, 0) for t in after}
    total = sum(grown.values())
    per = total / count
    print(f"\nstorage per completed instance: {path.name} (start + 2 user tasks + end), {count} instances")
    print(f"{'table' + (' or index' if objects else ''):40} {'bytes/instance':>15}")
    for table, size in sorted(grown.items(), key=lambda kv: -kv[1]):
        if size:
            print(f"{table:40} {size / count:15.0f}")
    verdict = "met" if per <= TARGET_BYTES else "MISSED"
    print(f"{'total':40} {per:15.0f}   target <= {TARGET_BYTES} B: {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--database-url")
    parser.add_argument("--by-index", action="store_true", help="each table and each index on its own line")
    args = parser.parse_args()
    if args.instances < 1:
        parser.error("--instances must be at least 1")
    print(f"machine: {machine()}")
    with bench_app(args.database_url) as (app, db):
        run(app, args.instances, args.by_index)
    print(f"database: {db.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
