"""Rules: trigger → action latency (embedded and over Redis), and evaluations per second with an exactly-once check.

1. Latency: a rule on `material` updates (`stock` changed) sets `safety_stock` on the same record. A
   writer updates `stock` and commits; the time until the rule's own update is committed (seen from
   another session) is one sample. Embedded: the poller hands jobs to `run_jobs` in-process (as
   `make run` does without a broker); Redis: the poller sends them to a Celery worker over Redis.
2. Throughput: 20 enabled rules on `material` updates, conditions `record.stock % 20 == i`, so each
   update matches exactly one. N updates through the records service (each offered to all 20 rules in
   its transaction), then every run is executed. Printed: rule evaluations per second while updating,
   runs per second while executing, and the check: one run per update, every run done, every job ran
   once, and each rule's effect (a `hit` record naming the update) exists exactly once.

3. Date rules: the cost of finding due firings among 10k, 100k and 1M scheduled ones, and `--due`
   firings due in the same minute, swept and run.

    .venv/bin/python bench/rules.py [--samples 200] [--updates 10000] [--due 10000] [--workers 1]
                                    [--only latency|throughput|dates]
                                    [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from typing import Any

from sqlalchemy import func, select

try:
    from bench.common import ROOT, bench_app, machine
except ImportError:  # run as a script
    from common import ROOT, bench_app, machine

MATERIAL = {"key": "material", "name": {"en": "Material", "zh": "物料"}, "fields": [
    {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"},
    {"key": "stock", "label": {"en": "Stock", "zh": "库存"}, "type": "integer"},
    {"key": "safety_stock", "label": {"en": "Safety", "zh": "安全"}, "type": "integer"}]}
FLOOR = {"key": "floor", "name": {"en": "Floor", "zh": "基线"}, "fields": [
    {"key": "rule", "label": {"en": "Rule", "zh": "规则"}, "type": "text"},
    {"key": "event", "label": {"en": "Event", "zh": "事件"}, "type": "text"}]}
HIT = {"key": "hit", "name": {"en": "Hit", "zh": "命中"}, "fields": [
    {"key": "rule", "label": {"en": "Rule", "zh": "规则"}, "type": "text"},
    {"key": "event", "label": {"en": "Event", "zh": "事件"}, "type": "text", "unique": True}]}


def _redis() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        return None


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _latency(app: Any, samples: int, who: Any, mode: str) -> list[float]:
    from server.records import service as records

    database = app.extensions["boms_db"]
    with database.write() as session:
        record = records.create(session, who, "material", {"name": "bench", "stock": 0, "safety_stock": 0})
    times = []
    for i in range(1, samples + 1):
        with database.write() as session:
            records.update_record(session, who, "material", record["id"], {"fields": {"stock": i}})
        committed = time.perf_counter()
        while True:
            with database.read() as session:
                current = records.get(session, who, "material", record["id"])
            if current["fields"]["safety_stock"] == i:
                times.append(time.perf_counter() - committed)
                break
            if time.perf_counter() - committed > 30:
                raise SystemExit(f"{mode}: the rule did not act within 30 s")
            time.sleep(0.002)
    return times


def _print_latency(mode: str, times: list[float], target: float) -> bool:
    p50, p95 = _percentile(times, 50), _percentile(times, 95)
    print(f"latency {mode}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"over {len(times)} updates; target p95 <= {target * 1000:.0f} ms")
    return p95 <= target


def latency(args: argparse.Namespace, who: Any) -> bool:
    from server.rules import store
    from server.services.jobs import run_jobs
    from server.worker import make_celery, poll, start_poller

    ok = True
    for mode in ("embedded", "redis"):
        broker = _redis() if mode == "redis" else None
        if mode == "redis" and broker is None:
            print("latency redis: skipped (no Redis on 127.0.0.1:6379)")
            continue
        with bench_app(args.database_url) as (app, _db):
            from server.records import types

            database = app.extensions["boms_db"]
            with database.write() as session:
                types.save(session, MATERIAL, "bench")
                store.save(session, {"key": "copy", "trigger": {"type": "record", "recordType": "material",
                                                                "on": ["updated"], "fields": ["stock"]},
                                     "actions": [{"type": "update_record",
                                                  "fields": {"safety_stock": "=record.stock"}}]}, "bench")
            if mode == "embedded":
                stop = threading.Event()
                thread = threading.Thread(target=poll, args=(app, lambda ids: run_jobs(app, ids), stop), daemon=True)
                thread.start()
                times = _latency(app, args.samples, who, mode)
                stop.set()
                thread.join(timeout=5)
                ok &= _print_latency(mode, times, 1.0)
            else:
                from celery.contrib.testing.worker import start_worker

                celery = make_celery(app, broker_url=broker)
                celery.conf.task_default_queue = f"boms-bench-{time.time_ns()}"
                with start_worker(celery, pool="solo", perform_ping_check=False, loglevel="WARNING"):
                    thread, stop = start_poller(celery, app)
                    times = _latency(app, args.samples, who, mode)
                    stop.set()
                    thread.join(timeout=5)
                ok &= _print_latency(mode, times, 0.5)
    return ok


def _floor(database: Any, who: Any, type_key: str, count: int) -> float:
    """The floor: seconds per plain record write (create, then update) on a type no rule is about."""
    from server.records import service as records
    from server.records import types

    with database.write() as session:
        types.save(session, FLOOR, "bench")
        record = records.create(session, who, type_key, {"rule": "floor", "event": "floor"})
    started = time.perf_counter()
    for n in range(count):
        with database.write() as session:
            records.update_record(session, who, type_key, record["id"], {"fields": {"rule": f"f{n}"}})
    per = (time.perf_counter() - started) / count
    print(f"floor: a record update on a type without rules: {per * 1000:.1f} ms ({count:,} updates)")
    return per


def throughput(args: argparse.Namespace, who: Any) -> bool:
    from server.models import Job, RuleRun
    from server.records import service as records
    from server.records import types
    from server.rules import store
    from server.services.jobs import run_due

    with bench_app(args.database_url) as (app, db):
        database = app.extensions["boms_db"]
        with database.write() as session:
            types.save(session, MATERIAL, "bench")
            types.save(session, HIT, "bench")
            for i in range(20):
                store.save(session, {
                    "key": f"r{i:02d}", "rateLimit": {"runs": 1_000_000, "perMinutes": 1},
                    "trigger": {"type": "record", "recordType": "material", "on": ["updated"], "fields": ["stock"]},
                    "condition": f"record.stock % 20 == {i}",
                    "actions": [{"type": "create_record", "recordType": "hit",
                                 "fields": {"rule": "=rule.key", "event": "=record.stock|string"}}]}, "bench")
            ids = [records.create(session, who, "material", {"name": f"m{n}", "stock": 0})["id"] for n in range(100)]
        floor = _floor(database, who, "floor", max(100, args.updates // 10))
        print(f"# {args.updates:,} updates × 20 rules — {db.label}")
        from server.rules import triggers

        spent = [0.0]
        real = triggers._on_record

        def timed(*a: Any) -> None:  # the rule engine's share of each update: offering it to the 20 rules
            begun = time.perf_counter()
            real(*a)
            spent[0] += time.perf_counter() - begun

        triggers._on_record = timed
        started = time.perf_counter()
        for n in range(1, args.updates + 1):
            with database.write() as session:
                records.update_record(session, who, "material", ids[n % len(ids)], {"fields": {"stock": n}})
        updating = time.perf_counter() - started
        triggers._on_record = real
        print(f"updates: {args.updates:,} in {updating:.1f} s ({args.updates / updating:,.0f}/s); rule evaluations "
              f"{args.updates * 20 / updating:,.0f}/s including each update's own cost; in the rule subscriber alone "
              f"{args.updates * 20 / spent[0]:,.0f}/s ({spent[0] / args.updates * 1000:.1f} ms per update, "
              f"{spent[0] / args.updates / floor:.2f}× the floor; target >= 1,000/s)")
        started = time.perf_counter()
        ran = run_due(app, rounds=10_000)
        executing = time.perf_counter() - started
        print(f"runs: {ran:,} jobs in {executing:.1f} s ({ran / executing:,.0f}/s)")
        with database.read() as session:
            runs = session.scalar(select(func.count()).select_from(RuleRun)) or 0
            done = session.scalar(select(func.count()).select_from(RuleRun).where(RuleRun.status == "done")) or 0
            attempts = session.scalar(select(func.max(Job.attempts)).where(Job.kind == "rule_run")) or 0
            hits = records.list_records(session, who, "hit", None, None,
                                        __import__("server.queries", fromlist=["PageRequest"]).PageRequest(size=1))
        exact = runs == args.updates and done == runs and attempts == 1 and hits["total"] == args.updates
        print(f"exactly once: {runs:,} runs for {args.updates:,} matching updates, {done:,} done, {hits['total']:,} "
              f"effects (unique per update), most attempts of a job {attempts}: {'OK' if exact else 'FAILED'}")
        return exact and args.updates * 20 / spent[0] >= 1000


def dates(args: argparse.Namespace, who: Any) -> bool:
    """Finding due firings among N pending ones (10k, 100k, 1M rows of rule_schedule: the sweep reads no record
    table to find them), then `--due` firings due in the same minute: swept and run, timed."""
    from sqlalchemy import insert, update

    from server.db import utcnow
    from server.models import RuleRun, RuleSchedule
    from server.records import service as records
    from server.records import types
    from server.rules import schedule, store
    from server.rules.sweep import sweep_schedules
    from server.services.jobs import run_due

    ok = True
    with bench_app(args.database_url) as (app, db):
        database = app.extensions["boms_db"]
        print(f"# date-relative rules — {db.label}")
        later = utcnow().replace(year=utcnow().year + 5)
        total = 0
        for size in (10_000, 100_000, 1_000_000):
            with database.write() as session:
                for first in range(total, size, 50_000):
                    session.execute(insert(RuleSchedule), [
                        {"rule_key": "far", "record_type": "material", "record_id": n + 1, "due_at": later,
                         "fired": 0} for n in range(first, min(size, first + 50_000))])
            total = size
            with database.read() as session:
                started = time.perf_counter()
                for _ in range(20):
                    schedule.due_rows(session, utcnow(), skip_locked=False)
                cost = (time.perf_counter() - started) / 20
            print(f"finding due firings among {size:>9,} scheduled: {cost * 1000:.2f} ms per sweep look-up")
        with database.write() as session:
            types.save(session, MATERIAL, "bench")
            store.save(session, {"key": "due", "trigger": {"type": "date", "recordType": "material",
                                                           "field": "created_at", "offset": 15, "unit": "days"},
                                 "rateLimit": {"runs": 1_000_000, "perMinutes": 1},
                                 "actions": [{"type": "update_record", "fields": {"safety_stock": 1}}]}, "bench")
        for first in range(0, args.due, 500):
            with database.write() as session:
                for _ in range(min(500, args.due - first)):
                    records.create(session, who, "material", {"name": "x", "stock": 0, "safety_stock": 0})
        floor = _floor(database, who, "floor", 200)
        with database.write() as session:
            session.execute(update(RuleSchedule).where(RuleSchedule.rule_key == "due").values(due_at=utcnow()))
        started = time.perf_counter()
        swept = sweep_schedules(database, app.config["BOMS"])
        sweeping = time.perf_counter() - started
        workers = [threading.Thread(target=lambda: ran.append(run_due(app, rounds=10_000)))
                   for _ in range(args.workers)]
        ran: list[int] = []
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        with database.read() as session:
            done = session.scalar(select(func.count()).select_from(RuleRun).where(RuleRun.rule_key == "due",
                                                                                  RuleRun.status == "done")) or 0
        print(f"{args.due:,} firings due in the same minute: {swept:,} swept in {sweeping:.1f} s, {sum(ran):,} jobs, "
              f"{done:,} runs done in {elapsed:.1f} s ({args.workers} worker thread(s)); "
              f"{elapsed / args.due * 1000:.1f} ms per firing = {elapsed / args.due / floor:.2f}× the floor; "
              "target: within 60 s")
        ok &= done == args.due
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="worker threads running the due firings' jobs")
    parser.add_argument("--only", choices=("latency", "throughput", "dates"), default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from server.auth.permissions import Principal

    who = Principal(0, "bench", frozenset({"admin"}), frozenset())
    print(f"# rules — {machine()}")
    ok = True
    if args.only in (None, "latency"):
        ok &= latency(args, who)
    if args.only in (None, "throughput"):
        ok &= throughput(args, who)
    if args.only in (None, "dates"):
        ok &= dates(args, who)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
