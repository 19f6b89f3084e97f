"""How many audit events a second 8 concurrent writers append on PostgreSQL.

Each writer process runs small transactions shaped like a record write: insert one row into a scratch
table, then publish 1 or 2 events (alternately) through the real publisher, commit. The floor is the
same transactions with the events inserted as plain rows into a scratch table without the chain:
what the database costs without the hash chain. "1 chain" pins every append to one head row, as
the log was before migration 0006; "free chain" is the publisher as it is (the first chain head no
other transaction holds).

    .venv/bin/python bench/audit_append.py [--writers 8] [--seconds 5]
                                            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The URL names the server; a fresh `boms_bench_*` database is created there, migrated, and dropped after.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

try:
    from bench.common import fresh_database, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import fresh_database, machine

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCRATCH = ("CREATE TABLE bench_record (id serial PRIMARY KEY, data text NOT NULL)",
           "CREATE TABLE bench_plain_event (id serial PRIMARY KEY, kind text NOT NULL, actor text NOT NULL, "
           "subject_id text, data text NOT NULL)")


def _chained(chains: int | None) -> Callable[[Session, int, int], None]:
    """A record write publishing its events; `chains=1` pins every append to chain 1 (the design before
    0006: one head row for the whole log), None lets the publisher take the first free chain."""
    from server.audit import Event, _head, publish

    def write(session: Session, writer: int, n: int) -> None:
        record_id = session.execute(text("INSERT INTO bench_record (data) VALUES (:d) RETURNING id"),
                                    {"d": f"w{writer}-{n}"}).scalar_one()
        if chains == 1:
            _head(session, 0, chain=1)
        events = [Event(kind="record.created", actor=f"bench{writer}", subject_type="record",
                        subject_id=str(record_id), data={"n": n})]
        if n % 2:
            events.append(Event(kind="record.updated", actor=f"bench{writer}", subject_type="record",
                                subject_id=str(record_id), data={"n": n, "field": "x"}))
        publish(session, events)

    return write


def _plain(session: Session, writer: int, n: int) -> None:
    record_id = session.execute(text("INSERT INTO bench_record (data) VALUES (:d) RETURNING id"),
                                {"d": f"w{writer}-{n}"}).scalar_one()
    rows = [{"k": "record.created", "a": f"bench{writer}", "s": str(record_id), "d": f'{{"n":{n}}}'}]
    if n % 2:
        rows.append({"k": "record.updated", "a": f"bench{writer}", "s": str(record_id), "d": f'{{"n":{n}}}'})
    session.execute(text("INSERT INTO bench_plain_event (kind, actor, subject_id, data) VALUES (:k, :a, :s, :d)"),
                    rows)


MODES: dict[str, Callable[[], Callable[[Session, int, int], None]]] = {
    "plain rows (floor)": lambda: _plain,
    "audit, 1 chain": lambda: _chained(1),
    "audit, free chain": lambda: _chained(None),
}


def _writer(config: Any, mode: str, writer: int, seconds: float, barrier: Any, out: Any) -> None:
    """One writer process (as gunicorn/Celery workers are): its own app, engine and connection."""
    from server import create_app

    app = create_app(config)
    database = app.extensions["boms_db"]
    write = MODES[mode]()
    transactions = events = n = 0
    with app.app_context():
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with database.write() as session:
                write(session, writer, n)
            transactions += 1
            events += 2 if n % 2 else 1
            n += 1
    database.dispose()
    out.put((transactions, events))


def run(config: Any, mode: str, writers: int, seconds: float) -> tuple[float, float]:
    """(transactions/s, events/s) committed by `writers` processes in `seconds`."""
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=_writer, args=(config, mode, i, seconds, barrier, out))
                 for i in range(writers)]
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    from server import create_app
    from server.config import Config
    from server.services.audit import verify

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="boms-bench-") as tmp, fresh_database(args.database_url, Path(tmp)) as db:
        print(f"database: {db.label}\n{args.writers} writer processes, {args.seconds:.0f} s per mode, "
              "1-2 events per transaction")
        config = Config.from_env(instance_path=Path(tmp) / "instance", database_url=db.url, secret_key="bench",
                                 broker_url=f"sqla+sqlite:///{Path(tmp) / 'broker.db'}")
        app = create_app(config)
        database = app.extensions["boms_db"]
        try:
            with database.write() as session:
                for statement in SCRATCH:
                    session.execute(text(statement))
            database.dispose()  # forked writers must not share its connections
            for mode in MODES:
                tps, eps = run(config, mode, args.writers, args.seconds)
                print(f"  {mode:<20} {eps:8.0f} appends/s  ({tps:7.0f} transactions/s)", flush=True)
            with database.read() as session:
                result = verify(session)
                used = session.execute(text("SELECT count(DISTINCT chain) FROM audit_event")).scalar_one()
            print(f"  chains verified: ok={result.ok}, {result.checked} events in {used} chain(s)")
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
