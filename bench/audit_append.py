"""How many audit events a second 8 concurrent writers append on PostgreSQL.

Each writer thread runs small transactions shaped like a record write: insert one row into a scratch
table, then publish 1 or 2 events (alternately) through the real publisher, commit. The floor is the
same transactions with the events inserted as plain rows into a scratch table without the chain:
what the database costs without the hash chain's serialization.

    .venv/bin/python bench/audit_append.py [--writers 8] [--seconds 5]
                                            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The URL names the server; a fresh `boms_bench_*` database is created there, migrated, and dropped after.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
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


def _chained(database: Any) -> Callable[[Session, int, int], None]:
    from server.audit import Event, publish

    def write(session: Session, writer: int, n: int) -> None:
        record_id = session.execute(text("INSERT INTO bench_record (data) VALUES (:d) RETURNING id"),
                                    {"d": f"w{writer}-{n}"}).scalar_one()
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


def run(database: Any, write: Callable[[Session, int, int], None], writers: int, seconds: float) -> tuple[int, int]:
    """(transactions, events) committed by `writers` threads in `seconds`."""
    counts = [[0, 0] for _ in range(writers)]
    start = threading.Barrier(writers + 1)
    deadline = [0.0]

    def loop(writer: int) -> None:
        start.wait()
        n = 0
        while time.perf_counter() < deadline[0]:
            with database.write() as session:
                write(session, writer, n)
            counts[writer][0] += 1
            counts[writer][1] += 2 if n % 2 else 1
            n += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    from server import create_app
    from server.config import Config

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="boms-bench-") as tmp, fresh_database(args.database_url, Path(tmp)) as db:
        print(f"database: {db.label}; {args.writers} writers, {args.seconds:.0f} s per run, 1-2 events per transaction")
        config = Config.from_env(instance_path=Path(tmp) / "instance", database_url=db.url, secret_key="bench",
                                 broker_url=f"sqla+sqlite:///{Path(tmp) / 'broker.db'}")
        app = create_app(config)
        database = app.extensions["boms_db"]
        try:
            with database.write() as session:
                for statement in SCRATCH:
                    session.execute(text(statement))
            with app.app_context(), database.write() as session:
                _chained(database)(session, 0, -1)  # the first append creates what later ones lock
            results = []
            for label, write in (("plain rows (floor)", _plain), ("audit chain", _chained(database))):
                with app.app_context():
                    transactions, events = run(database, write, args.writers, args.seconds)
                results.append((label, transactions / args.seconds, events / args.seconds))
            for label, tps, eps in results:
                print(f"  {label:<20} {eps:8.0f} appends/s  ({tps:7.0f} transactions/s)")
            with app.app_context(), database.read() as session:
                from server.services.audit import verify

                result = verify(session)
            print(f"  chain verified: ok={result.ok}, {result.checked} events")
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
