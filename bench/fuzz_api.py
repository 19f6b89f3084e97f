"""Fuzz the REST API with schemathesis against a fresh local server; print requests sent and 5xx answers.

CI runs it after the test suite (.ci/run, on a fresh PostgreSQL database; `make fuzz` on SQLite).
schemathesis comes with the dev extras (`make install`):

    .venv/bin/python bench/fuzz_api.py [--examples 10] [--database-url postgresql+psycopg://...]

The server is `boms serve --no-worker` on a free port with a new SQLite file (or the given, empty
database) and the library's BPMN/DMN deployed; the fuzzer runs every operation of /api/v1/openapi.json
with all checks once with an admin's token and once with a staff member's (bench/schemathesis.toml says
which refusals are by design). It exits 1 on any 5xx or failed check. Each run's cassette (every
request and answer) and report are kept under --out.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOMS = ROOT / ".venv" / "bin" / "boms"
CONFIG = ROOT / "bench" / "schemathesis.toml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _boms(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BOMS), *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {seconds} s")


def _statuses(cassette: Path) -> list[int]:
    return [int(code) for code in re.findall(r"^\s+code: '?(\d{3})'?", cassette.read_text(), re.MULTILINE)]


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--st", default=str(ROOT / ".venv" / "bin" / "st"), help="the schemathesis command")
    args.add_argument("--examples", type=int, default=30, help="test cases per operation and phase")
    args.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "boms-fuzz")
    args.add_argument("--seed", type=int, default=16)
    opts = args.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    instance = Path(tempfile.mkdtemp(prefix="boms-fuzz-"))
    port = _free_port()
    env = {**os.environ, "BOMS_INSTANCE_PATH": str(instance), "BOMS_SECRET_KEY": secrets.token_hex(32),
           "BOMS_LOGIN_RATE_LIMIT": "100000 per minute"}
    if opts.database_url:
        env["BOMS_DATABASE_URL"] = opts.database_url
    _boms(env, "db", "upgrade")
    _boms(env, "user", "add", "fuzz-admin", "--password", "fuzz-admin-pw", "--role", "admin", "--role", "modeler")
    _boms(env, "user", "add", "fuzz-staff", "--password", "fuzz-staff-pw", "--role", "staff", "--groups", "employees")
    models = sorted((ROOT / "dmn").glob("*.dmn")) + sorted((ROOT / "bpmn").glob("*.bpmn"))
    _boms(env, "deploy", *[str(p) for p in models])
    tokens = {who: _boms(env, "token", "create", f"fuzz-{who}") for who in ("admin", "staff")}
    server = subprocess.Popen([str(BOMS), "serve", "--no-worker", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(opts.out / "server.log", "w"))  # noqa: SIM115
    total, errors, failed = 0, 0, []
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/healthz")
        for who, token in tokens.items():
            cassette = opts.out / f"{who}.yaml"
            command = [opts.st, "--config-file", str(CONFIG),
                       "run", base + "/api/v1/openapi.json", "--header", f"Authorization: Bearer {token}",
                       "--checks", "all", "--max-examples", str(opts.examples), "--seed", str(opts.seed),
                       "--workers", "1", "--report", "vcr", "--report-vcr-path", str(cassette), "--no-color",
                       "--generation-allow-x00", "true"]
            # In --out: schemathesis keeps its example database in the working directory.
            run = subprocess.run(command, capture_output=True, text=True, cwd=opts.out)
            (opts.out / f"{who}.txt").write_text(run.stdout + run.stderr)
            statuses = _statuses(cassette) if cassette.exists() else []
            server_errors = sum(1 for s in statuses if s >= 500)
            total, errors = total + len(statuses), errors + server_errors
            if run.returncode != 0:
                failed.append(who)
            print(f"{who}: {len(statuses)} requests, {server_errors} answered 5xx, schemathesis exit {run.returncode} "
                  f"(report: {opts.out / (who + '.txt')})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"total: {total} requests, {errors} x 5xx; schemathesis failures as: {', '.join(failed) or 'nobody'}")
    if failed:
        for who in failed:  # the failures section says what broke and how to reproduce it
            report = (opts.out / f"{who}.txt").read_text()
            print(report[report.find("=== FAILURES") - 40:] if "=== FAILURES" in report else report[-4000:])
    return 1 if errors or failed or not total else 0


if __name__ == "__main__":
    sys.exit(main())
