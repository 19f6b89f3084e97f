"""The inbox and the task API at a million task rows: p50/p95 of each read, on SQLite or PostgreSQL.

Generates `--tasks` human_task rows (`--open` of them open) in `--tasks / 5` instances of one deployed
process, written the way the runner writes them (a task_candidate row for each task's candidate group; a
task nobody is named for has the "anyone" row). 20 staff users in 10 groups (2 each); open tasks: 40%
assigned, 59% for a group, 1% for anyone; every completed task was completed by one of the users.
Then times, for one user, `--repeat` runs of:

  api assignee=me        GET /api/v1/tasks?assignee=me                (services.tasks.list_tasks)
  api candidateGroup=G   GET /api/v1/tasks?candidateGroup=g0
  inbox <tab>            the /inbox page's data for each tab: the page's rows and the four count badges
                         (services.inbox.inbox_page, what server/inbox/routes.py renders)

through the Flask test client (API, with a token; the inbox logged in), so routing, auth and JSON or
the template are in the time. Targets: p95 <= 20 ms on PostgreSQL, <= 50 ms on SQLite.

    .venv/bin/python bench/inbox_scale.py [--tasks 1000000] [--open 200000] [--repeat 30]
                                          [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                          [--keep FILE_OR_DATABASE]

`--keep` generates once into a SQLite file or a PostgreSQL database that stays, and later runs with the
same `--keep` reuse it (migrated to the current head first), so a change can be tried without 1M inserts.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from bench.common import FIXTURES, bench_app, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import FIXTURES, bench_app, machine

USERS, GROUPS, PER_INSTANCE, BATCH = 20, 10, 5, 20_000
TARGET_MS = {"postgresql": 20.0, "sqlite": 50.0}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _people(app: Any) -> list[str]:
    """The users (user 0 is the one timed) with their groups, named so a kept database finds them again."""
    from server.services.identity import add_user as add

    names = [f"inbox-bench-{i}" for i in range(USERS)]
    with app.extensions["boms_db"].write() as session:
        for i, name in enumerate(names):
            add(session, name, "bench-password", roles=["staff"], groups=[f"g{i % GROUPS}", f"g{(i + 1) % GROUPS}"])
    return names


def _token(app: Any, name: str) -> str:
    from sqlalchemy import select

    from server.auth.tokens import create_token
    from server.models import User

    with app.extensions["boms_db"].write() as session:
        return create_token(session, session.scalar(select(User).where(User.username == name)), "bench")


def _reuse(app: Any, tasks: int) -> list[str]:
    """The users of a kept database, after checking it holds the rows asked for."""
    from sqlalchemy import func, select

    from server.models import HumanTask

    with app.extensions["boms_db"].read() as session:
        found = session.scalar(select(func.count()).select_from(HumanTask))
    if found != tasks:
        raise SystemExit(f"the kept database holds {found:,} task rows, not {tasks:,}: delete it (or pick "
                         "another --keep) to generate again")
    return [f"inbox-bench-{i}" for i in range(USERS)]


@dataclass(frozen=True)
class Shape:
    """Which process the rows belong to and what its tasks look like (the default: this benchmark's own)."""

    files: tuple[Path, ...] = (FIXTURES / "two_user_tasks.bpmn",)
    key: str = "two_tasks"
    # Each task's step, in turn: (element id, name or None for "Task <n % 97>", hours until due or None).
    steps: tuple[tuple[str, str | None, float | None], ...] = (("task_a", None, None),)
    # Hours a completed task took, in turn (bench/analytics.py charts the average per step).
    hours: tuple[float, ...] = (1.0,)


def generate(app: Any, tasks: int, open_tasks: int, names: list[str], shape: Shape = Shape()) -> float:
    """Write the rows with Core inserts in batches (COPY on PostgreSQL); returns the seconds it took."""
    from sqlalchemy import insert, select

    from server.models import HumanTask, ProcessInstance, ProcessVersion, TaskCandidate
    from server.models.task import ANYONE_KIND, ANYONE_NAME
    from server.services.deployments import UploadedFile, deploy

    db = app.extensions["boms_db"]
    began = time.perf_counter()
    with db.write() as session:
        deploy(session, [UploadedFile(path.name, path.read_bytes()) for path in shape.files], names[0], False)
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == shape.key))
    rng = random.Random(17)
    start = datetime(2026, 1, 1)
    instances: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []

    postgresql = db.engine.dialect.name == "postgresql"

    def flush(final: bool = False) -> None:
        if len(rows) < BATCH and not final:
            return
        if postgresql:
            _copy(db, [("process_instance", instances), ("human_task", rows), ("task_candidate", candidates)])
        else:
            with db.write() as session:
                for table, batch in ((ProcessInstance.__table__, instances), (HumanTask.__table__, rows),
                                     (TaskCandidate.__table__, candidates)):
                    if batch:
                        session.execute(insert(table), batch)
        instances.clear()
        rows.clear()
        candidates.clear()

    instance_id = ""
    for n in range(tasks):
        at = start + timedelta(seconds=n * 7)
        if n % PER_INSTANCE == 0:
            instance_id = str(uuid.UUID(int=rng.getrandbits(128)))
            is_open = n >= tasks - open_tasks
            instances.append({"id": instance_id, "version_id": version_id, "process_key": shape.key,
                              "business_key": f"B-{n // PER_INSTANCE}", "status": "running" if is_open
                              else "completed", "started_at": at, "started_by": rng.choice(names),
                              "lock_version": 0, "state": "", "variables": {}, "active_elements": [],
                              "visited_elements": []})
        task_id = str(uuid.UUID(int=rng.getrandbits(128)))
        is_open = n >= tasks - open_tasks
        roll = rng.random()
        user = rng.choice(names)
        group = f"g{rng.randrange(GROUPS)}"
        element, name, due = shape.steps[n % len(shape.steps)]
        row = {"id": task_id, "instance_id": instance_id, "process_key": shape.key, "business_key": None,
               "element_id": element, "name": name or f"Task {n % 97}", "lane": None, "status": "open",
               "created_at": at, "due_at": None if due is None else at + timedelta(hours=due),
               "completed_at": None, "completed_by": None, "data": None, "version_id": None, "assignee": None}
        named = True
        if is_open:
            if roll < 0.40:
                row["assignee"] = user
            elif roll >= 0.99:
                named = False
        else:
            took = timedelta(hours=shape.hours[n % len(shape.hours)])
            row.update(status="completed", assignee=user, completed_by=user, completed_at=at + took)
        rows.append(row)
        candidates.append({"task_id": task_id, "kind": "group", "name": group} if named else
                          {"task_id": task_id, "kind": ANYONE_KIND, "name": ANYONE_NAME})
        flush()
    flush(final=True)
    return time.perf_counter() - began


def _copy(db: Any, batches: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """PostgreSQL's COPY: executemany of a million rows takes half an hour on this machine."""
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for table, batch in batches:
                if not batch:
                    continue
                columns = list(batch[0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v
                                        for v in (row[c] for c in columns)])
        raw.commit()
    finally:
        raw.close()


CPU: dict[int, list[float]] = {}  # id(samples) -> this process's CPU ms per call: the load-free control
SERVER_CPU: dict[int, float | None] = {}  # id(samples) -> PostgreSQL's CPU ms per call (backend_cpu.py)


def _timed(call: Any, repeat: int, server: Any = None) -> list[float]:
    call()  # warm: caches and plans, once
    samples: list[float] = []
    cpu = CPU[id(samples)] = []
    before = server.ticks() if server is not None else None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    spent = server.spent_ms(before, server.ticks()) if server is not None else None
    SERVER_CPU[id(samples)] = spent / repeat if spent is not None else None
    return samples


def reads(app: Any, token: str, user: str) -> dict[str, Callable[[], None]]:
    """Each timed read as a call: the two API lists (token) and every inbox tab (logged in)."""
    from server.services.inbox import TABS

    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def get_api(path: str) -> Callable[[], None]:
        def call() -> None:
            response = api.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return call

    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    login = browser.post("/login", data={"username": user, "password": "bench-password",
                                         "csrf_token": CSRF.search(page).group(1)})
    assert login.status_code in (302, 303), f"login failed: {login.status_code}"

    def get_page(path: str) -> Callable[[], None]:
        def call() -> None:
            response = browser.get(path)
            assert response.status_code == 200, response.status_code
        return call

    calls = {"api assignee=me": get_api("/api/v1/tasks?assignee=me"),
             "api candidateGroup=g0": get_api("/api/v1/tasks?candidateGroup=g0")}
    for tab in TABS:
        calls[f"inbox tab={tab} (+{len(TABS)} badges)"] = get_page(f"/inbox?tab={tab}")
    return calls


def measure(calls: dict[str, Callable[[], None]], repeat: int, server: Any = None) -> dict[str, list[float]]:
    return {name: _timed(call, repeat, server) for name, call in calls.items()}


def profile(calls: dict[str, Callable[[], None]], pattern: str, repeat: int, sort: str = "cumulative") -> None:
    """cProfile of the reads whose name contains `pattern`, `repeat` calls each: where a page's CPU goes."""
    import cProfile
    import pstats

    for name, call in calls.items():
        if pattern not in name:
            continue
        call()
        profiler = cProfile.Profile(time.process_time)  # CPU: waits on the database are not in it
        profiler.enable()
        for _ in range(repeat):
            call()
        profiler.disable()
        print(f"\n=== CPU profile of {name}, {repeat} calls")
        pstats.Stats(profiler).sort_stats(sort).print_stats(40)


def counts(app: Any, user: str) -> dict[str, int]:
    from server.auth.permissions import Principal
    from server.models import User
    from server.services.inbox import tab_counts

    with app.extensions["boms_db"].read() as session:
        from sqlalchemy import select
        who = Principal.of(session.scalar(select(User).where(User.username == user)))
        return tab_counts(session, who)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", metavar="FILE_OR_DATABASE",
                        help="generate into this SQLite file (or, with a PostgreSQL URL, this database) and keep "
                             "it; a later run with the same --keep reuses the rows instead of generating them")
    parser.add_argument("--explain", action="store_true",
                        help="also print each read's statements with their plans and database times")
    parser.add_argument("--profile", metavar="READ",
                        help="cProfile the reads whose name contains READ (e.g. 'tab=groups') instead of timing")
    args = parser.parse_args()
    if not 0 <= args.open <= args.tasks or args.repeat < 2:
        parser.error("need 0 <= --open <= --tasks and --repeat >= 2")
    with bench_app(args.database_url, args.keep) as (app, db):
        dialect = app.extensions["boms_db"].engine.dialect.name
        if db.reused:
            names, seconds = _reuse(app, args.tasks), None
        else:
            names = _people(app)
            seconds = generate(app, args.tasks, args.open, names)
        token = _token(app, names[0])
        from sqlalchemy import text
        if db.reused:
            pass  # analysed when it was generated (and by autovacuum since)
        elif dialect == "postgresql":
            # What autovacuum does to a table loaded by COPY: statistics, and the visibility map that
            # lets the badges count from their indexes alone.
            with app.extensions["boms_db"].engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with app.extensions["boms_db"].engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
        calls = reads(app, token, names[0])
        if args.profile:
            profile(calls, args.profile, args.repeat)
            return 0
        if args.explain:
            try:
                from bench.inbox_plans import explain
            except ImportError:
                from inbox_plans import explain
            explain(app.extensions["boms_db"].engine, calls)
        try:
            from bench.backend_cpu import BackendCpu
        except ImportError:
            from backend_cpu import BackendCpu
        results = measure(calls, args.repeat, BackendCpu(app.extensions["boms_db"].engine))
        badges = counts(app, names[0])
    target = TARGET_MS.get(dialect, 50.0)
    how = "reused" if seconds is None else f"generated in {seconds:.0f} s"
    print(f"inbox at scale: {args.tasks:,} task rows ({args.open:,} open), {how}")
    print(f"database: {db.label}")
    print(f"machine:  {machine()}")
    print(f"user 0's badges: {badges}")
    print(f"\n{'read':34} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'pg cpu':>7}  target p95 <= {target:.0f} ms")
    for name, samples in results.items():
        p95 = statistics.quantiles(samples, n=20)[18]
        verdict = "met" if p95 <= target else "MISSED"
        cpu = statistics.median(CPU[id(samples)])
        server = SERVER_CPU.get(id(samples))
        pg = f"{server:7.1f}" if server is not None else f"{'-':>7}"
        print(f"{name:34} {statistics.median(samples):8.1f} {p95:8.1f} {cpu:8.1f} {pg}  {verdict}")
    print("(cpu p50: this process's CPU time per call, which the machine's load does not inflate (SQLite's work "
          "is in it); pg cpu: the PostgreSQL backends' CPU per call, mean of the run, from /proc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
