"""10,000 waiting timers due in the same minute: how long until all have fired, and that none fired twice.

Instances of bench/fixtures/timer_at.bpmn wait on a timeDate timer `${dueAt}`, all set to one moment a
few seconds after setup starts, so every timer is due when firing begins (as after an outage). Then the
real path runs: the poller claims due job rows and hands them in batches to a Celery worker over a
broker (Redis when it answers on 127.0.0.1:6379, else the embedded SQLite broker of `make run`), and
the worker fires each timer through the runner. Printed: setup time, firing time, fired per second,
and the check that every instance has exactly one task created and every job ran once.

    .venv/bin/python bench/timers.py [--timers 10000] [--workers 1] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

try:
    from bench.common import ROOT, bench_app, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import ROOT, bench_app, machine

MODEL = Path(__file__).resolve().parent / "fixtures" / "timer_at.bpmn"


def _redis() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="worker threads (prefork is not used here)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from celery.contrib.testing.worker import start_worker

    from server.models import AuditEvent, Job
    from server.services.deployments import UploadedFile, deploy
    from server.services.processes import find_version
    from server.worker import make_celery, start_poller

    with bench_app(args.database_url) as (app, db):
        database, runner, config = app.extensions["boms_db"], app.extensions["boms_runner"], app.config["BOMS"]
        print(f"# {args.timers:,} timers due in the same minute — {db.label}; {machine()}")
        with database.write() as session:
            deploy(session, [UploadedFile(MODEL.name, MODEL.read_bytes())], "bench", False)
        due = datetime.now(UTC) + timedelta(seconds=5)
        started = time.perf_counter()
        batch = 250
        for first in range(0, args.timers, batch):
            with database.write() as session:
                version = find_version(session, "timer_at")
                for _ in range(min(batch, args.timers - first)):
                    runner.start(session, version, {"dueAt": due.isoformat()}, None, "bench")
        setup = time.perf_counter() - started
        print(f"setup: {args.timers:,} instances started in {setup:.1f} s")
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)

        broker = _redis() or config.broker_url
        celery = make_celery(app, broker_url=broker)
        celery.conf.task_default_queue = f"boms-bench-{time.time_ns()}"
        print(f"broker: {broker.split('://')[0]}, {args.workers} worker thread(s)")
        with start_worker(celery, pool="threads" if args.workers > 1 else "solo", concurrency=args.workers,
                          perform_ping_check=False, loglevel="WARNING"):
            fire_start = time.perf_counter()
            thread, stop = start_poller(celery, app)
            while True:
                with database.read() as session:
                    left = session.scalar(select(func.count()).select_from(Job).where(
                        Job.kind == "timer", Job.status != "done")) or 0
                if not left:
                    break
                if time.perf_counter() - fire_start > 600:
                    print(f"gave up after 600 s with {left} timers not fired")
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - fire_start
            stop.set()
            thread.join(timeout=5)
        with database.read() as session:
            created = session.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.kind == "task.created")) or 0
            per_instance = session.execute(
                select(AuditEvent.instance_id, func.count()).where(AuditEvent.kind == "task.created")
                .group_by(AuditEvent.instance_id).having(func.count() > 1)).all()
            attempts = session.scalar(select(func.max(Job.attempts)).where(Job.kind == "timer")) or 0
        late = (fire_start - started) - setup
        print(f"fired: {created:,} of {args.timers:,} in {elapsed:.1f} s ({created / elapsed:,.0f}/s) "
              f"after waiting {late:.1f} s for the due time; target: all within 60 s")
        print(f"fired twice: {len(per_instance)} instances; most attempts of any job: {attempts}")
        return 0 if created == args.timers and not per_instance and attempts == 1 and elapsed <= 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
