"""How many instances a second BOMS runs over HTTP, against SpiffWorkflow alone in memory.

One instance of tests/fixtures/camunda/two_user_tasks.bpmn = start + complete task_a + complete task_b
(3 requests: the task_b id comes in the completion's `nextTasks`, as a client would find it). BOMS is a
real waitress server on loopback (8 threads, in this process) on a fresh database; clients use
keep-alive http.client connections, one per client thread: first 1 client, then `--clients`. Then the
same database under gunicorn (`--gunicorn-workers` processes of `--gunicorn-threads` threads) with
`--clients` clients, as a deployment runs it. Before timing, 10 instances run one request at a time
with SQL statements and commits counted per request (bench/sql_counter.py; `--show-sql` lists them).
The in-memory figure is the engine work alone with the same parse and the same serialization
(server.engine.store.dump/load after every step), so the ratio is what the database, HTTP,
projections and audit chain cost on top.

    .venv/bin/python bench/engine_throughput.py [--instances 300] [--clients 4]
                                                 [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from bench.common import FIXTURES, add_user, bench_app, machine
    from bench.serving import gunicorn
    from bench.sql_counter import Sample, StatementCounter
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import FIXTURES, add_user, bench_app, machine
    from serving import gunicorn
    from sql_counter import Sample, StatementCounter

MODEL = FIXTURES / "two_user_tasks.bpmn"
KEY = "two_tasks"
ACTIONS = ("start", "complete a", "complete b")
TARGET_STATEMENTS = 8


@dataclass
class Result:
    label: str
    instances: int
    seconds: float  # wall time for all instances
    latencies: list[float]  # seconds per instance as one client saw it

    @property
    def per_second(self) -> float:
        return self.instances / self.seconds

    @property
    def ms_per_instance(self) -> float:
        return self.seconds * 1000.0 / self.instances


# --- SpiffWorkflow alone -------------------------------------------------------------------------

def run_in_memory(count: int) -> Result:
    from SpiffWorkflow.util.task import TaskState

    from server.engine import store
    from server.engine.definitions import build_specs
    from server.engine.scripting import JexlScriptEngine

    # The runner's own parse (build_specs, BomsParser) once, as its spec cache does per version.
    spec, subprocess_specs = build_specs(MODEL.read_text(), MODEL.name, [])[KEY]
    engine = JexlScriptEngine()

    def one() -> None:
        workflow = store.new_workflow(spec, subprocess_specs, engine, {"initiator": "bench"})
        workflow.do_engine_steps()
        state = store.dump(workflow)
        for variables in ({"note": "x"}, {}):
            workflow = store.load(state, spec, subprocess_specs, engine)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(variables)
            task.run()
            workflow.do_engine_steps()
            state = store.dump(workflow)
        if not workflow.is_completed():
            raise RuntimeError("in-memory instance did not complete")

    one()  # warm-up: first-call costs (imports, JEXL compile caches) are not per-instance costs
    latencies = []
    began = time.perf_counter()
    for _ in range(count):
        started = time.perf_counter()
        one()
        latencies.append(time.perf_counter() - started)
    return Result("SpiffWorkflow in memory (dump/load each step)", count, time.perf_counter() - began, latencies)


# --- BOMS over HTTP ------------------------------------------------------------------------------

class Client:
    """One keep-alive connection; every call checks the status so a failure is never timed as success."""

    def __init__(self, port: int, token: str,
                 observe: Callable[[str], AbstractContextManager[None]] | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.observe = observe or (lambda _action: nullcontext())

    def call(self, method: str, path: str, expect: int, body: Any = None,
             content_type: str = "application/json") -> Any:
        headers = dict(self.headers)
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()  # always drain it, or the connection cannot be reused
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}, expected {expect}: {payload[:500]!r}")
        return json.loads(payload) if payload else None

    def deploy(self, path: Any) -> None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
            f"\r\n--{boundary}--\r\n".encode()
        self.call("POST", "/api/v1/deployments", 201, body, f"multipart/form-data; boundary={boundary}")

    def one_instance(self) -> None:
        with self.observe(ACTIONS[0]):
            started = self.call("POST", f"/api/v1/process-definitions/{KEY}/start", 201, {"variables": {}})
        (task_a,) = started["openTasks"]
        with self.observe(ACTIONS[1]):
            done = self.call("POST", f"/api/v1/tasks/{task_a['id']}/complete", 200, {"variables": {"note": "x"}})
        (task_b,) = done["nextTasks"]
        with self.observe(ACTIONS[2]):
            self.call("POST", f"/api/v1/tasks/{task_b['id']}/complete", 200, {"variables": {}})

    def close(self) -> None:
        self.conn.close()


def run_clients(port: int, token: str, count: int, clients: int, label: str) -> Result:
    # Connections are opened before the clock starts; instances are handed out from one counter so
    # a slow client does not leave the others idle at the end.
    pool = [Client(port, token) for _ in range(clients)]
    remaining = [count]
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[BaseException] = []

    def work(client: Client) -> None:
        try:
            while True:
                with lock:
                    if remaining[0] == 0 or errors:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                client.one_instance()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
        except BaseException as exc:  # reported by the main thread; a dead client must not hang the run
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,), name=f"client-{i}") for i, c in enumerate(pool)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    for c in pool:
        c.close()
    if errors:
        raise RuntimeError(f"{label}: a client failed") from errors[0]
    return Result(label, count, seconds, latencies)


def count_actions(counter: StatementCounter, port: int, token: str, count: int) -> dict[str, list[Sample]]:
    """`count` instances one request at a time, each request inside its own counting window."""
    samples: dict[str, list[Sample]] = {action: [] for action in ACTIONS}

    @contextmanager
    def observe(action: str) -> Iterator[None]:
        with counter.measure() as sample:
            yield
        samples[action].append(sample)

    client = Client(port, token, observe)
    for _ in range(count):
        client.one_instance()
    client.close()
    return samples


def run_boms(database_url: str | None, count: int, clients: int, warmup: int, gunicorn_workers: int,
             gunicorn_threads: int) -> tuple[list[Result], dict[str, list[Sample]], str]:
    from sqlalchemy import func, select
    from waitress import create_server

    from server.models import ProcessInstance

    with bench_app(database_url) as (app, where):
        # The deployer is not the worker, as in production: staff may not deploy.
        _, _, modeler_token = add_user(app, roles=["modeler"], groups=[])
        _, _, staff_token = add_user(app, roles=["staff"], groups=["employees"])
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        thread.start()
        port = int(server.effective_port)
        counter = StatementCounter(app.extensions["boms_db"].engine)
        results: list[Result] = []
        try:
            deployer = Client(port, modeler_token)
            deployer.deploy(MODEL)
            deployer.close()
            # Warm-up: the first start parses and caches the spec; that is a per-version cost.
            run_clients(port, staff_token, warmup, 1, "warm-up")
            samples = count_actions(counter, port, staff_token, 10)
            results.append(run_clients(port, staff_token, count, 1, "waitress in-process, 1 client"))
            if clients > 1:
                results.append(run_clients(port, staff_token, count, clients,
                                           f"waitress in-process, {clients} clients"))
        finally:
            counter.close()
            server.close()
            server.task_dispatcher.shutdown()
            thread.join(timeout=5)
        if gunicorn_workers:
            with gunicorn(app.extensions["boms_db"].url, Path(app.instance_path), gunicorn_workers,
                          gunicorn_threads) as gport:
                run_clients(gport, staff_token, warmup * gunicorn_workers, clients, "warm-up")
                label = f"gunicorn {gunicorn_workers}x{gunicorn_threads}, {clients} clients"
                results.append(run_clients(gport, staff_token, count, clients, label))
        with app.extensions["boms_db"].read() as session:
            done = session.scalar(select(func.count()).select_from(ProcessInstance)
                                  .where(ProcessInstance.status == "completed"))
        expected = warmup * (1 + (gunicorn_workers or 0)) + 10 + count * len(results)
        if done != expected:
            raise RuntimeError(f"{done} instances completed in the database, expected {expected}")
        return results, samples, where.label


def report(memory: Result, boms: list[Result], samples: dict[str, list[Sample]], where: str,
           show_sql: bool) -> None:
    print(f"\nengine throughput: {MODEL.name} (start + complete task_a + complete task_b), "
          f"{memory.instances} instances per row")
    print(f"database: {where}")
    print(f"machine:  {machine()}; waitress rows: clients, server and engine share one process (one GIL)")
    print(f"\n{'':46} {'inst/s':>8} {'ms/inst':>8} {'latency ms':>11} {'BOMS/in-memory':>15}")
    for r in [memory, *boms]:
        ratio = "" if r is memory else f"{r.ms_per_instance / memory.ms_per_instance:14.1f}x"
        print(f"{r.label:46} {r.per_second:8.1f} {r.ms_per_instance:8.2f} "
              f"{statistics.median(r.latencies) * 1000:11.2f} {ratio:>15}")
    print("\nms/inst = wall time / instances; latency = median time one client waited for one instance "
          "(3 requests); ratio = BOMS ms/inst over in-memory ms/inst")
    print(f"\nper request (median and most over {len(samples[ACTIONS[0]])} instances; target <= {TARGET_STATEMENTS} "
          "statements and 1 commit per action; the most includes a per-process cache reloading: rules, "
          "notification recipients, both after 2 s):")
    for action, rows in samples.items():
        worst = max(rows, key=lambda s: s.statements)
        typical = statistics.median_low([s.statements for s in rows])
        print(f"  {action:12} {typical:3} statements (most {worst.statements:2}) "
              f"{max(s.commits for s in rows):2} commit(s)" + (f" (+{worst.begins} BEGIN)" if worst.begins else ""))
        if show_sql:
            for sql in worst.sql:
                print(f"      {sql}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=300, help="instances per measurement (default 300)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed instances first (default 5)")
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="0 skips the gunicorn run (default 4)")
    parser.add_argument("--gunicorn-threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--show-sql", action="store_true", help="print each action's statements")
    parser.add_argument("--database-url", help="default: SQLite in a temp dir; a PostgreSQL URL gets a "
                                                 "fresh database on that server, dropped after")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.clients < 1 or args.warmup < 0:
        parser.error("--instances and --clients must be at least 1, --warmup at least 0")
    memory = run_in_memory(args.instances)
    boms, samples, where = run_boms(args.database_url, args.instances, args.clients, args.warmup,
                                    args.gunicorn_workers, args.gunicorn_threads)
    report(memory, boms, samples, where, args.show_sql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
