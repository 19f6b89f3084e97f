"""External tasks completed per second by workers of Camunda's official Python client over HTTP.

One instance = start -> external service task (topic `bench`) -> end. N instances are started first
(untimed); then `--workers` threads, each an unchanged `ExternalTaskWorker` of
camunda-external-task-client-python3 (its own fetch_and_execute: fetchAndLock + complete per task),
work them off against BOMS on a real waitress server (8 threads, in this process) on a fresh database.
The figure printed is tasks completed per second, end to end (the instance ends in the same request).
Beside it: BOMS's user-task throughput from bench/engine_throughput.py on the same kind of database.

    .venv/bin/python bench/external_tasks.py [--instances 300] [--workers 4] [--max-tasks 10] [--no-compare]
                                              [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

try:
    from bench.common import add_user, bench_app, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import add_user, bench_app, machine

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="bench">
  <process id="externalBench" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="work" />
    <serviceTask id="work" camunda:type="external" camunda:topic="bench" />
    <sequenceFlow id="f2" sourceRef="work" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>
"""


def _start_all(base: str, token: str, count: int) -> None:
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for i in range(count):
            response = http.post(f"{base}/engine-rest/process-definition/key/externalBench/start",
                                 json={"variables": {"n": {"value": i, "type": "Integer"}}})
            response.raise_for_status()


def _work(base: str, token: str, workers: int, max_tasks: int, count: int) -> tuple[float, int]:
    from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

    done = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def handle(task: Any) -> Any:
        with lock:
            done[0] += 1
        return task.complete({"result": task.get_variable("n")})

    def run(index: int) -> None:
        worker = ExternalTaskWorker(f"bench-{index}", base_url=f"{base}/engine-rest", config={
            "maxTasks": max_tasks, "lockDuration": 60_000, "asyncResponseTimeout": 200, "sleepSeconds": 0,
            "auth_bearer": {"access_token": token}})
        try:
            while done[0] < count:
                try:
                    worker.fetch_and_execute("bench", handle)
                except NoExternalTaskFound:  # the others hold the rest; the worker's own loop goes on too
                    continue
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    began = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("a worker failed") from errors[0]
    return time.perf_counter() - began, done[0]


def run(database_url: str | None, count: int, workers: int, max_tasks: int) -> tuple[float, str]:
    from sqlalchemy import func, select
    from waitress import create_server

    from server.models import ProcessInstance

    with bench_app(database_url) as (app, where):
        _, _, modeler = add_user(app, roles=["modeler"], groups=[])
        _, _, staff = add_user(app, roles=["staff"], groups=[])
        _, _, worker = add_user(app, roles=["worker"], groups=[])
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, name="waitress", daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{int(server.effective_port)}"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "external_bench.bpmn"
                path.write_text(MODEL)
                with path.open("rb") as handle:
                    requests.post(f"{base}/api/v1/deployments", headers={"Authorization": f"Bearer {modeler}"},
                                  files={"file": (path.name, handle)}).raise_for_status()
            _start_all(base, staff, count)
            seconds, handled = _work(base, worker, workers, max_tasks, count)
        finally:
            server.close()
            server.task_dispatcher.shutdown()
            thread.join(timeout=5)
        with app.extensions["boms_db"].read() as session:
            completed = session.scalar(select(func.count()).select_from(ProcessInstance)
                                       .where(ProcessInstance.status == "completed"))
        if completed != count or handled != count:
            raise RuntimeError(f"{completed} instances completed, {handled} tasks handled; expected {count}")
        return count / seconds, where.label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-tasks", type=int, default=10, help="maxTasks per fetchAndLock (default 10)")
    parser.add_argument("--no-compare", action="store_true", help="skip the user-task throughput beside it")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the client logs every task at INFO
    per_second, where = run(args.database_url, args.instances, args.workers, args.max_tasks)
    print(f"\nexternal tasks: {args.instances} instances (start -> external task -> end), {args.workers} workers "
          f"of camunda-external-task-client-python3, maxTasks {args.max_tasks}")
    print(f"database: {where}")
    print(f"machine: {machine()}")
    print(f"  external tasks completed per second: {per_second:8.1f}")
    if not args.no_compare:
        try:
            from bench.engine_throughput import run_boms
        except ImportError:
            from engine_throughput import run_boms
        # The embedded server only (no gunicorn run), as the external-task figure above.
        results, _, _ = run_boms(args.database_url, args.instances, args.workers, 5, 0, 0)
        for result in results:
            print(f"  user-task instances per second ({result.label}, 3 requests each): {result.per_second:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
