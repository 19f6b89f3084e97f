"""How long does a parallel multi-instance of N items take, through the server's runner?

Automatic items: one instance of tests/fixtures/engine/mi_automatic.bpmn, a parallel multi-instance
`bpmn:task` (a pass-through) over `items` with an output collection, is started through BOMS's real
write path (services.processes.start inside Database.write(): parse cache, engine, projections,
pruned state, audit, commit). All N items are created and completed in that one transaction; the
time printed is from the start call to its commit, and the instance must be `completed` with N
outputs in the database.

User tasks: one instance of tests/fixtures/engine/mi_approvals.bpmn creates N `approve` tasks; each
is completed one by one through services.tasks.complete (as the API does): the start, every
completion and the total are timed. Then the cost of one completion while 10, 100, 1,000 and 5,000
siblings are open (`--siblings`): an instance of that many items, its first 5 completions timed.

    .venv/bin/python bench/multi_instance.py [--sizes 100,1000,5000] [--user-sizes 100,1000]
                                             [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                             [--profile N]   (cProfile one automatic run of N items)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from typing import Any

try:
    from bench.common import ROOT, add_user, bench_app, machine, median_ms
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import ROOT, add_user, bench_app, machine, median_ms

ENGINE_FIXTURES = ROOT / "tests" / "fixtures" / "engine"
TARGET_SECONDS_1000 = 5.0
TARGET_USER_SECONDS_1000 = 10.0  # issue 17 P3


def _setup(app: Any) -> tuple[Any, Any, Any]:
    from server.auth.permissions import Principal
    from server.models import User
    from server.services.deployments import UploadedFile, deploy

    db = app.extensions["boms_db"]
    user_id, name, _ = add_user(app, roles=["staff", "modeler"], groups=["staff"])
    files = [UploadedFile(p.name, p.read_bytes()) for p in
             (ENGINE_FIXTURES / "mi_automatic.bpmn", ENGINE_FIXTURES / "mi_approvals.bpmn")]
    with db.write() as session:
        deploy(session, files, name, False)
        who = Principal.of(session.get(User, user_id))
    return db, app.extensions["boms_runner"], who


def run_automatic(app: Any, n: int) -> tuple[float, int]:
    from server.models import ProcessInstance
    from server.services import processes

    db, runner, who = _setup(app)
    began = time.perf_counter()
    with db.write() as session:
        instance_id = processes.start(session, runner, who, "mi_automatic", {"items": list(range(n))}, None).id
    elapsed = time.perf_counter() - began
    with db.read() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row.status == "completed", f"instance is {row.status}"
        assert row.variables["handled"] == list(range(n)), "outputs missing"
        size = len(row.state.encode())
    return elapsed, size


def run_user_tasks(app: Any, n: int) -> tuple[float, float, float, float, float]:
    from sqlalchemy import select

    from server.models import HumanTask, ProcessInstance
    from server.services import processes, tasks

    db, runner, who = _setup(app)
    reviewers = [who.username] * n
    began, cpu_began = time.perf_counter(), time.process_time()
    with db.write() as session:
        instance_id = processes.start(session, runner, who, "mi_approvals", {"approvers": reviewers}, None).id
    started = time.perf_counter() - began
    with db.read() as session:
        ids = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.status == "open")))
    assert len(ids) == n, f"{len(ids)} tasks open, expected {n}"
    steps = []
    for task_id in ids:
        t = time.perf_counter()
        with db.write() as session:
            tasks.complete(session, runner, who, task_id, {"answer": "yes"})
        steps.append(time.perf_counter() - t)
        with db.read() as session:
            if session.get(ProcessInstance, instance_id).status == "completed":
                break
    total, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    with db.read() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row.status == "completed" and row.variables["answers"] == ["yes"] * n, "not all completed"
    return (started, median_ms(steps[: len(steps) // 10 or 1]), median_ms(steps[-(len(steps) // 10 or 1):]), total,
            cpu)


def completion_cost(app: Any, open_siblings: int, samples: int = 15) -> tuple[float, float, float]:
    """Median ms of one completion while `open_siblings` tasks of the same multi-instance are open (wall
    clock, and this process's CPU time: on a shared machine the wall clock mostly measures the others),
    and the start's seconds (the first `samples` of them are completed, one transaction each)."""
    from sqlalchemy import select

    from server.models import HumanTask
    from server.services import processes, tasks

    db, runner, who = _setup(app)
    began = time.perf_counter()
    with db.write() as session:
        instance_id = processes.start(session, runner, who, "mi_approvals",
                                      {"approvers": [who.username] * open_siblings}, None).id
    started = time.perf_counter() - began
    with db.read() as session:
        ids = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.status == "open").limit(samples)))
    steps, cpu = [], []
    for task_id in ids:
        t, c = time.perf_counter(), time.process_time()
        with db.write() as session:
            tasks.complete(session, runner, who, task_id, {"answer": "yes"})
        steps.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return median_ms(steps), median_ms(cpu), started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--user-sizes", default="100,1000")
    parser.add_argument("--siblings", default="10,100,1000,5000",
                        help="open sibling counts at which one completion is timed (target: flat)")
    parser.add_argument("--database-url")
    parser.add_argument("--profile", type=int, help="profile one automatic run of N items and print the top")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.profile:
        with bench_app(args.database_url) as (app, db):
            profile = cProfile.Profile()
            profile.enable()
            run_automatic(app, args.profile)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        return 0
    print("\nparallel multi-instance of automatic tasks (start -> all N created and completed -> commit)")
    print(f"{'N':>6} | {'seconds':>8} | {'ms/item':>8} | {'state B':>8}")
    for n in [int(x) for x in args.sizes.split(",") if x]:
        with bench_app(args.database_url) as (app, db):
            elapsed, size = run_automatic(app, n)
        print(f"{n:>6} | {elapsed:8.2f} | {elapsed * 1000 / n:8.3f} | {size:>8}", flush=True)
        if n == 1000:
            verdict = "met" if elapsed <= TARGET_SECONDS_1000 else "MISSED"
            print(f"       target 1,000 items <= {TARGET_SECONDS_1000:.0f} s: {verdict}")
    sizes = [int(x) for x in args.user_sizes.split(",") if x]
    if sizes:
        print("\nparallel multi-instance of user tasks, completed one by one through services.tasks.complete")
        print(f"{'N':>6} | {'start s':>8} | {'first 10% ms':>12} | {'last 10% ms':>11} | {'total s':>8} | {'CPU s':>6}")
        for n in sizes:
            with bench_app(args.database_url) as (app, db):
                started, first, last, total, cpu = run_user_tasks(app, n)
            print(f"{n:>6} | {started:8.2f} | {first:12.2f} | {last:11.2f} | {total:8.2f} | {cpu:6.2f}", flush=True)
            if n == 1000:
                verdict = "met" if total <= TARGET_USER_SECONDS_1000 else "MISSED"
                print(f"       target 1,000 items created and completed <= {TARGET_USER_SECONDS_1000:.0f} s: {verdict}"
                      f" (wall clock; CPU {cpu:.1f} s)")
    siblings = [int(x) for x in args.siblings.split(",") if x]
    if siblings:
        print("\none completion of a parallel multi-instance user task, by open siblings "
              "(median of 15; target: it does not grow with them)")
        print(f"{'open':>6} | {'ms/completion':>13} | {'CPU ms':>7} | {'x 10 open':>9} | {'start s':>8}")
        floor = None
        for n in siblings:
            with bench_app(args.database_url) as (app, db):
                cost, cpu, started = completion_cost(app, n)
            floor = floor or cpu
            print(f"{n:>6} | {cost:13.1f} | {cpu:7.1f} | {cpu / floor:9.2f} | {started:8.2f}", flush=True)
    print(f"database: {db.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
