"""The process heatmap's server time over N completed instances' element passages (issue 13).

Deploys tests/fixtures/engine/heatmap_demo.bpmn, then bulk-inserts (Core, 20,000 rows a statement) the
process_instance rows and the element passages the engine would have written for N instances of it:
review, approve when amount >= 5000, pay and file in parallel (the earlier branch merged at the join),
one in ten round the loop once more; user tasks with their open row and their closed row, as the runner
writes them. One in a hundred more instances are still running (waiting in `file`). Then times
`server.analytics.heatmap.heatmap` warm (median of --runs) as an admin: no filter, a date range, a
variable filter, and metric=count; beside each, the bare SQL floor (the same statements, captured during
one run and replayed through the driver). Target: <= 500 ms on PostgreSQL at 100,000 instances.

    .venv/bin/python bench/heatmap.py [--instances 100000] [--runs 5]
                                      [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

try:
    from bench.common import fresh_database, machine, replay_bare
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import fresh_database, machine, replay_bare

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tests" / "fixtures" / "engine" / "heatmap_demo.bpmn"
BATCH = 20_000
KINDS = {"start": "startEvent", "review": "userTask", "size": "exclusiveGateway", "approve": "userTask",
         "merge": "exclusiveGateway", "fork": "parallelGateway", "pay": "userTask", "file": "userTask",
         "join": "parallelGateway", "again": "exclusiveGateway", "end": "endEvent"}
USER_TASKS = {"review", "approve", "pay", "file"}


class Instance:
    """The passages of one generated instance, in the order the runner would write them."""

    def __init__(self, version_id: int, started: datetime, rng: random.Random) -> None:
        self.id, self.version_id, self.at, self.rng = str(uuid.uuid4()), version_id, started, rng
        self.rows: list[dict[str, Any]] = []

    def row(self, element: str, flow: str | None, entered: datetime, left: datetime | None,
            outcome: str | None = "completed", task: str | None = None) -> str:
        task = task or str(uuid.uuid4())
        if left is not None and entered != left and (element in USER_TASKS or outcome == "merged"):
            self.row(element, flow, entered, None, None, task)  # its open row, written when it began to wait
        self.rows.append({"instance_id": self.id, "version_id": self.version_id, "element_id": element,
                          "element_type": KINDS[element], "flow_id": flow, "task_id": task, "entered_at": entered,
                          "left_at": left, "outcome": outcome,
                          "seconds": (left - entered).total_seconds() if left is not None else None})
        return task

    def instant(self, element: str, flow: str | None) -> None:
        self.row(element, flow, self.at, self.at)

    def wait(self, element: str, flow: str, hours: float) -> None:
        left = self.at + timedelta(hours=self.rng.expovariate(1 / hours))
        self.row(element, flow, self.at, left)
        self.at = left


def generate(version_id: int, count: int, running: int, seed: int = 1) -> Iterator[tuple[dict[str, Any],
                                                                                         list[dict[str, Any]]]]:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1)
    for i in range(count + running):
        started = base + timedelta(seconds=i * 300 + rng.randrange(300))
        amount = rng.randrange(100, 20_000)
        run = Instance(version_id, started, rng)
        run.instant("start", None)
        waiting = i >= count
        for round_ in range(2 if rng.random() < 0.1 else 1):
            run.wait("review", "f_start" if round_ == 0 else "f_again", 2)
            run.instant("size", "f_review")
            if amount >= 5000:
                run.wait("approve", "f_big", 8)
                run.instant("merge", "f_approved")
            else:
                run.instant("merge", "f_small")
            run.instant("fork", "f_merged")
            forked = run.at
            paid = forked + timedelta(hours=rng.expovariate(1 / 4))
            run.row("pay", "f_pay", forked, paid)
            if waiting:
                run.row("file", "f_file", forked, None, None)
                run.row("join", "f_paid", paid, None, None)
                break
            filed = forked + timedelta(hours=rng.expovariate(1 / 1))
            run.row("file", "f_file", forked, filed)
            first, second = sorted([(paid, "f_paid"), (filed, "f_filed")])
            run.row("join", first[1], first[0], second[0], "merged")
            run.at = second[0]
            run.instant("join", second[1])
            run.instant("again", "f_joined")
        if not waiting:
            run.instant("end", "f_done")
        instance = {"id": run.id, "version_id": version_id, "process_key": "heatmap_demo", "business_key": f"B-{i}",
                    "status": "running" if waiting else "completed", "started_at": started, "started_by": "bench",
                    "ended_at": None if waiting else run.at, "lock_version": 1, "state": "",
                    "variables": {"amount": amount}, "active_elements": [], "visited_elements": [], "error": None}
        yield instance, run.rows


def _load(database: Any, version_id: int, count: int) -> int:
    from server.models import ElementPassage, ProcessInstance

    instances: list[dict[str, Any]] = []
    passages: list[dict[str, Any]] = []
    total = 0

    def flush() -> None:
        with database.write() as session:
            if instances:
                session.execute(insert(ProcessInstance.__table__), instances)
            if passages:
                session.execute(insert(ElementPassage.__table__), passages)
        instances.clear()
        passages.clear()

    for instance, rows in generate(version_id, count, max(1, count // 100)):
        instances.append(instance)
        passages.extend(rows)
        total += len(rows)
        if len(passages) >= BATCH:
            flush()
    flush()
    return total


def _time(app: Any, database: Any, who: Any, args: dict[str, str],
          runs: int) -> tuple[list[float], list[float], list[tuple[float, str]]]:
    from server.analytics import heatmap

    statements: list[tuple[str, Any]] = []
    engine = database.engine

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip()[:6].upper() == "SELECT":
            statements.append((statement, parameters))

    times = []
    with app.app_context():
        for run in range(runs + 1):  # the first run warms caches and captures the SQL
            if run == 0:
                event.listen(engine, "before_cursor_execute", capture)
            started = time.perf_counter()
            with database.read() as session:
                heatmap.heatmap(session, who, "heatmap_demo", args)
            elapsed = time.perf_counter() - started
            if run == 0:
                event.remove(engine, "before_cursor_execute", capture)
            else:
                times.append(elapsed)
    floors, each = replay_bare(engine, statements, runs)
    slowest = sorted(((statistics.median(t), " ".join(statements[i][0].split())) for i, t in enumerate(each)),
                     reverse=True)
    return times, floors, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--show-sql", action="store_true", help="print each case's three slowest statements")
    args = parser.parse_args()
    from server import create_app
    from server.auth.permissions import Principal
    from server.config import Config
    from server.models import ProcessVersion
    from server.services.deployments import UploadedFile, deploy

    with tempfile.TemporaryDirectory() as work, fresh_database(args.database_url, Path(work)) as db:
        app = create_app(Config.from_env(instance_path=Path(work) / "instance", database_url=db.url,
                                         secret_key="bench", testing=True))
        database = app.extensions["boms_db"]
        with database.write() as session:
            deploy(session, [UploadedFile(MODEL.name, MODEL.read_bytes())], "bench", False)
            version_id = session.query(ProcessVersion.id).filter(ProcessVersion.key == "heatmap_demo").scalar()
        started = time.perf_counter()
        rows = _load(database, version_id, args.instances)
        print(f"{machine()}\n{db.label}: {args.instances:,} completed instances (+{max(1, args.instances // 100):,} "
              f"running), {rows:,} passages inserted in {time.perf_counter() - started:.1f} s")
        if db.url.startswith("postgresql"):  # what autovacuum does after a bulk load
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE element_passage")
                conn.exec_driver_sql("VACUUM ANALYZE process_instance")
        admin = Principal(0, "bench", frozenset({"admin"}), frozenset())
        cases = {"everything": {}, "one month (from, to)": {"from": "2026-03-01", "to": "2026-03-31"},
                 "filter amount >= 5000": {"filter": "amount >= 5000"}, "metric=count": {"metric": "count"}}
        for label, case in cases.items():
            times, floors, slowest = _time(app, database, admin, case, args.runs)
            print(f"heatmap, {label}: median {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}); "
                  f"bare SQL floor median {statistics.median(floors) * 1000:.0f} ms (min {min(floors) * 1000:.0f})")
            for seconds, statement in slowest[:3] if args.show_sql else ():
                print(f"  {seconds * 1000:7.1f} ms  {statement[:300]}")
        database.dispose()


if __name__ == "__main__":
    main()
