"""BOMS under gunicorn for a benchmark: `server.wsgi:app` in worker processes, on a database made for the run.

The workers read the same BOMS_* settings as production (server/config.py): the run's database URL,
instance path (so every worker shares the generated audit key) and broker. They are separate processes,
so clients and server no longer share one GIL, as in a deployment.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, instance_path: Path, workers: int, threads: int) -> Iterator[int]:
    """A gunicorn server on a free loopback port, ready when yielded (its port); stopped after."""
    port = _free_port()
    env = {**os.environ, "BOMS_DATABASE_URL": database_url, "BOMS_INSTANCE_PATH": str(instance_path),
           "BOMS_SECRET_KEY": os.environ.get("BOMS_SECRET_KEY") or secrets.token_urlsafe(32),
           "BOMS_BROKER_URL": f"sqla+sqlite:///{instance_path / 'broker.db'}"}
    binary = Path(sys.executable).with_name("gunicorn")
    log = open(instance_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [str(binary), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "--worker-class", "gthread", "--keep-alive", "30", "server.wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}): see {instance_path / 'gunicorn.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
