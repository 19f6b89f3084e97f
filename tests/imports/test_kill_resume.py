"""A worker killed (SIGKILL) in the middle of an import: the job resumes after the last committed chunk,
with no duplicated, lost or half-written row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from sqlalchemy import text

from server.models import RecordImport
from tests.imports.conftest import csv_bytes, finished, upload

ROWS = 4000
WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from server import create_app
    from server.config import Config
    from server.records.imports import chunks, run

    url, instance, import_id = sys.argv[1:4]
    app = create_app(Config.from_env(instance_path=Path(instance), database_url=url, secret_key="test",
                                     testing=True))
    run.CHUNK = 100
    original = chunks.write
    def slow_write(*args, **kwargs):  # slow enough that the kill lands between commits
        time.sleep(0.05)
        return original(*args, **kwargs)
    run.write = slow_write
    run.run_import(app.extensions["boms_db"], Path(instance), import_id)
""")


def _done(api: Any, import_id: str) -> int:
    with api.app.extensions["boms_db"].read() as session:
        return session.get(RecordImport, import_id, populate_existing=True).rows_done


@pytest.mark.slow
def test_a_killed_import_resumes_without_duplicates(items_api: Any, database_url: str) -> None:
    rows = [["code", "name", "qty"], *[[f"K-{i:05d}", f"n{i}", str(i)] for i in range(ROWS)]]
    body = upload(items_api, csv_bytes(rows), onError="skip").get_json()
    instance = str(items_api.app.config["BOMS"].instance_path)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, database_url, instance, body["id"]],
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 120
    while _done(items_api, body["id"]) < 500:
        assert worker.poll() is None, "the worker ended before it could be killed"
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    resumed_from = _done(items_api, body["id"])
    assert 500 <= resumed_from < ROWS
    with items_api.app.extensions["boms_db"].read() as session:
        written = session.execute(text("SELECT count(*) FROM rec_item")).scalar_one()
    assert written == resumed_from  # whole chunks only: what is written is what the resume point says
    done = finished(items_api, body["id"])  # the job runner picks the job up and resumes it
    assert done["status"] == "done", done
    with items_api.app.extensions["boms_db"].read() as session:
        count, distinct = session.execute(text("SELECT count(*), count(DISTINCT code) FROM rec_item")).one()
        events = session.execute(text("SELECT count(*) FROM audit_event WHERE kind = 'record.created'")).scalar_one()
    assert count == distinct == ROWS and done["inserted"] == ROWS and events == ROWS
