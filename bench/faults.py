"""Fault run of the multi-node shape: kill -9 web, worker and poller under load; nothing lost, doubled or stuck.

For each broker (Redis, RabbitMQ): a fresh PostgreSQL database, web under gunicorn (2 workers), a
`boms worker` and a `boms poller`, all on loopback. Instances of a wait-then-work process (a timer, then
a user task) are started and their tasks completed through the HTTP API while the nodes are killed with
SIGKILL in turn and restarted. Then: every instance exists exactly once and completed, every timer fired
exactly once (its job done, one `timer.fired` event), and `boms audit verify` passes.

    .venv/bin/python bench/faults.py            # ~60 s of load per broker
    .venv/bin/python bench/faults.py --short    # CI: ~2 minutes for both brokers
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, add_user, bench_app, machine  # noqa: E402

BIN = Path(sys.executable).parent
PROCESS = ROOT / "tests" / "fixtures" / "events" / "timer_catch.bpmn"
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
PG = os.environ.get("BOMS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Node:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:  # its own session: a kill takes the prefork children too
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True, cwd=ROOT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Tally:
    kills: dict[str, int] = field(default_factory=lambda: {"web": 0, "worker": 0, "poller": 0})
    worker_kills: list[Any] = field(default_factory=list)  # UTC times of worker kills
    http_errors: int = 0
    started: set[str] = field(default_factory=set)  # business keys with an instance
    unsure: set[str] = field(default_factory=set)  # a start whose answer was lost


class Cluster:
    def __init__(self, app: Any, broker: str, workdir: Path) -> None:
        from server.db import utcnow

        self.utcnow = utcnow
        self.app, self.broker = app, broker
        self.queue = f"boms-faults-{uuid.uuid4().hex[:8]}"
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = app.config["BOMS"]
        env = {**os.environ, "BOMS_DATABASE_URL": config.database_url, "BOMS_BROKER_URL": broker,
               "BOMS_INSTANCE_PATH": str(config.instance_path), "BOMS_SECRET_KEY": config.secret_key,
               "BOMS_AUDIT_KEY": config.audit_key, "BOMS_SECURE_COOKIES": "0"}
        self.nodes = {
            "web": Node("web", [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                                "--threads", "4", "server.wsgi:app"], env, workdir / "web.log"),
            "worker": Node("worker", [str(BIN / "boms"), "worker", "--queue", self.queue, "--concurrency", "2"],
                           env, workdir / "worker.log"),
            "poller": Node("poller", [str(BIN / "boms"), "poller", "--queue", self.queue], env,
                           workdir / "poller.log"),
        }
        self.env = env

    def __enter__(self) -> Cluster:
        for node in self.nodes.values():
            node.start()
        return self

    def __exit__(self, *_: Any) -> None:
        for node in self.nodes.values():
            node.kill()
        from kombu import Connection

        try:  # the run's queue must not stay behind on the shared broker
            with Connection(self.broker, connect_timeout=5) as connection:
                connection.default_channel.queue_delete(self.queue)
        except Exception as exc:  # noqa: BLE001 - cleanup only
            print(f"  (could not delete queue {self.queue}: {exc})")

    def kill(self, name: str, tally: Tally) -> None:
        self.nodes[name].kill()
        tally.kills[name] += 1
        if name == "worker":
            tally.worker_kills.append(self.utcnow())
        self.nodes[name].start()


def _wait_web(client: httpx.Client, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if client.get("/api/v1/openapi.json").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("web did not come up (see web.log)")


def _instances_with_key(app: Any, key: str) -> int:
    from server.models import ProcessInstance

    with app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).where(ProcessInstance.business_key == key)) or 0


def _start(client: httpx.Client, tally: Tally, key: str) -> None:
    body = {"variables": {"delay": f"PT{random.choice((1, 2, 3))}S"}, "businessKey": key}
    try:
        response = client.post("/api/v1/process-definitions/timer_catch/start", json=body)
    except httpx.HTTPError:
        tally.http_errors += 1
        tally.unsure.add(key)
        return
    if response.status_code == 201:
        tally.started.add(key)
    else:
        tally.http_errors += 1
        tally.unsure.add(key)


def _settle_unsure(app: Any, client: httpx.Client, tally: Tally) -> None:
    """A start whose answer was lost: look in the database; start again only if nothing was made."""
    for key in sorted(tally.unsure):
        tally.unsure.discard(key)
        if _instances_with_key(app, key):
            tally.started.add(key)
        else:
            _start(client, tally, key)


def _complete_open(client: httpx.Client, tally: Tally) -> int:
    try:
        tasks = client.get("/api/v1/tasks", params={"pageSize": 100}).json()["items"]
    except (httpx.HTTPError, ValueError, KeyError):
        tally.http_errors += 1
        return 0
    done = 0
    for task in tasks:
        try:
            response = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}})
            done += response.status_code == 200
        except httpx.HTTPError:
            tally.http_errors += 1  # still open (or completed): the next round sees which
    return done


def _check(app: Any, tally: Tally, cluster: Cluster) -> tuple[list[str], list[float]]:
    from server.models import AuditEvent, Job, ProcessInstance

    problems: list[str] = []
    with app.extensions["boms_db"].read() as session:
        rows = session.execute(select(ProcessInstance.business_key, ProcessInstance.status,
                                      ProcessInstance.id)).all()
        keys = [row[0] for row in rows]
        doubled = {k for k in keys if keys.count(k) > 1}
        lost = tally.started - set(keys)
        stuck = [row[0] for row in rows if row[1] != "completed"]
        jobs = session.execute(select(Job.status, func.count()).where(Job.kind == "timer")
                               .group_by(Job.status)).all()
        fired = session.execute(select(AuditEvent.instance_id, func.count()).where(AuditEvent.kind == "timer.fired")
                                .group_by(AuditEvent.instance_id)).all()
        fired_rows = session.execute(select(AuditEvent.at, AuditEvent.data).where(AuditEvent.kind == "timer.fired")
                                     .order_by(AuditEvent.at)).all()
    fired_at = [row[0] for row in fired_rows]
    late = [(json.loads(d) if isinstance(d, str) else d or {}).get("lateSeconds", 0.0) for _, d in fired_rows]
    if late:
        print(f"  timer lateness (due -> fired): max {max(late):.1f} s, median {sorted(late)[len(late) // 2]:.2f} s")
    if doubled:
        problems.append(f"doubled: {sorted(doubled)[:5]}")
    if lost:
        problems.append(f"lost: {sorted(lost)[:5]}")
    if stuck:
        problems.append(f"stuck (not completed): {len(stuck)} e.g. {stuck[:5]}")
    if dict(jobs) != {"done": len(rows)}:
        problems.append(f"timer jobs by status {dict(jobs)}, expected {len(rows)} done")
    twice = [i for i, n in fired if n != 1]
    if len(fired) != len(rows) or twice:
        problems.append(f"timer.fired events: {len(fired)} instances, {len(twice)} not exactly once")
    verify = subprocess.run([str(BIN / "boms"), "audit", "verify"], env=cluster.env, capture_output=True,
                            text=True, cwd=ROOT)
    if verify.returncode != 0:
        problems.append(f"boms audit verify failed: {verify.stdout.strip()} {verify.stderr.strip()[-300:]}")
    # Recovery: from each worker kill to the next timer that fired (a new worker took over).
    recovery = []
    for killed in tally.worker_kills:
        after = next((at for at in fired_at if at > killed), None)
        if after is not None:
            recovery.append((after - killed).total_seconds())
    return problems, recovery


def run(broker_name: str, seconds: float, kill_every: float, rate: float) -> tuple[bool, Tally, list[float]]:
    broker = BROKERS[broker_name]
    with tempfile.TemporaryDirectory(prefix="boms-faults-") as tmp, bench_app(PG) as (app, db):
        workdir = Path(tmp)
        _, _, token = add_user(app, ["staff", "admin", "modeler"], ["employees"])
        tally = Tally()
        print(f"{broker_name}: {db.label}; broker {broker.split('@')[-1]}; logs in {workdir}", flush=True)
        with Cluster(app, broker, workdir) as cluster, \
                httpx.Client(base_url=cluster.base, headers={"Authorization": f"Bearer {token}"},
                             timeout=10) as client:
            _wait_web(client)
            with PROCESS.open("rb") as bpmn:
                deployed = client.post("/api/v1/deployments", files={"file": (PROCESS.name, bpmn)})
            if deployed.status_code != 201:
                raise SystemExit(f"deploy failed: {deployed.status_code} {deployed.text[:300]}")
            victims = itertools.cycle(("worker", "web", "poller"))
            counter = itertools.count()
            began = time.monotonic()
            next_kill = began + kill_every
            while time.monotonic() - began < seconds:
                for _ in range(max(1, int(rate / 2))):
                    _start(client, tally, f"F{next(counter)}")
                _complete_open(client, tally)
                if time.monotonic() >= next_kill:
                    victim = next(victims)
                    cluster.kill(victim, tally)
                    if victim == "web":
                        _wait_web(client)
                    next_kill = time.monotonic() + kill_every
                time.sleep(0.5)
            # Drain: everything started must finish; a job a killed worker held waits out its lease (30 s).
            deadline = time.monotonic() + 75
            while time.monotonic() < deadline:
                _settle_unsure(app, client, tally)
                _complete_open(client, tally)
                from server.models import ProcessInstance

                with app.extensions["boms_db"].read() as session:
                    open_ = session.scalar(select(func.count()).where(ProcessInstance.status != "completed"))
                if not open_ and not tally.unsure:
                    break
                time.sleep(0.5)
            problems, recovery = _check(app, tally, cluster)
    kills = sum(tally.kills.values())
    print(f"  {len(tally.started)} instances, kills survived {kills} {tally.kills}, "
          f"{tally.http_errors} HTTP errors during kills (retried)")
    if recovery:
        print(f"  recovery after a worker kill (kill -> next timer fired): max {max(recovery):.1f} s, "
              f"median {sorted(recovery)[len(recovery) // 2]:.1f} s over {len(recovery)} kills")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print("  OK: nothing lost, doubled or stuck; audit chain verified" if not problems else "  FAILED", flush=True)
    return not problems, tally, recovery


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the CI run: ~20 s of load per broker")
    parser.add_argument("--broker", choices=[*BROKERS, "both"], default="both")
    args = parser.parse_args()
    seconds, kill_every = (20.0, 3.0) if args.short else (60.0, 4.0)
    print(f"bench/faults.py ({'short' if args.short else 'full'}) on {machine()}", flush=True)
    brokers = list(BROKERS) if args.broker == "both" else [args.broker]
    results = [run(name, seconds, kill_every, rate=4.0) for name in brokers]
    total = sum(sum(t.kills.values()) for _, t, _ in results)
    print(f"kills survived in all: {total}; {'all OK' if all(ok for ok, _, _ in results) else 'FAILURES'}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
