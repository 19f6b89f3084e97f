"""give_back (server/records/imports/numbers.py) racing a create on PostgreSQL: a create holding the
counter's row lock (its number taken, not committed) when the cancelled import ends makes the import wait;
committed, the unused numbers stay skipped; rolled back, they are given back. Never a number twice."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from server.records.numbering import next_number
from server.records.types import latest
from tests.imports.conftest import finished, upload
from tests.imports.test_import_numbers import _api, _cancelling_after, _numbers, _ok_rows, one_row_chunks  # noqa: F401


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # two writers at once: SQLite has one
@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled-back"])
def test_a_create_in_flight_when_the_import_gives_back(api: Any, one_row_chunks: None,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch, commit: bool) -> None:
    database = api.app.extensions["boms_db"]
    _api(api)
    taken: list[str] = []
    holding, done = threading.Event(), threading.Event()

    def create_in_flight() -> None:
        with api.app.app_context():
            try:
                with database.write() as session:
                    row = latest(session, "ticket")
                    field = next(f for f in row.definition["fields"] if f["key"] == "number")
                    from server.db import utcnow
                    taken.append(next_number(session, "ticket", field, utcnow()))
                    holding.set()
                    threading.Event().wait(1.5)  # the import ends meanwhile, waiting on the counter
                    if not commit:
                        raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            finally:
                holding.set()
                done.set()

    def meanwhile() -> None:
        threading.Thread(target=create_in_flight, daemon=True).start()
        assert holding.wait(10)

    _cancelling_after(api, monkeypatch, 2, meanwhile)
    body = finished(api, upload(api, _ok_rows(5), type_key="ticket").get_json()["id"])
    assert done.wait(10)
    assert taken == ["T-0006"], taken
    assert body["status"] == "cancelled" and body["inserted"] == 2, body
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    number = made.get_json()["fields"]["number"]
    if commit:
        assert body["numbers"] == {"skipped": {"number": {"first": "T-0003", "last": "T-0005"}}}, body
        assert number == "T-0007"
    else:
        assert body["numbers"] == {"returned": {"number": {"first": "T-0003", "last": "T-0005"}}}, body
        assert number == "T-0003"
    numbers = _numbers(api)
    assert len(numbers) == len(set(numbers)), numbers


def test_a_worker_still_running_after_the_import_ended_writes_nothing_more(
        api: Any, one_row_chunks: None, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A worker whose lease ran out but still runs: the import was ended by the other worker (cancelled, its
    unused numbers given back and taken by a create) — its next chunk writes nothing and its end leaves the
    first end as it was (no second event, no other status)."""
    from sqlalchemy import func, select

    from server.models import AuditEvent, RecordImport
    from server.records.imports import run

    database = api.app.extensions["boms_db"]
    _api(api)
    _cancelling_after(api, monkeypatch, 2)
    import_id = upload(api, _ok_rows(5), type_key="ticket").get_json()["id"]
    body = finished(api, import_id)
    assert body["status"] == "cancelled" and body["numbers"].get("returned"), body
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0003"
    monkeypatch.undo()
    monkeypatch.setattr(run, "CHUNK", 1)
    with api.app.app_context():
        with database.write() as session:  # as if it had ended failed, not cancelled: only its status says
            session.get(RecordImport, import_id).cancel_requested = False
        with database.read() as session:
            row = session.get(RecordImport, import_id)
            table, checker = run.prepare(session, row, run.imports_root(api.app.instance_path))
        with pytest.raises(run.Cancelled):
            run._write_all(database, import_id, table, checker, False, 2)
        run._end(database, import_id, None, "failed", "the stale worker's end")
    after = api.get("sam", f"/api/v1/imports/{import_id}").get_json()
    assert (after["status"], after["message"], after["inserted"]) == ("cancelled", body["message"], 2), after
    assert _numbers(api) == ["T-0001", "T-0002", "T-0003"]
    with database.read() as session:
        ends = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "record.imported"))
    assert ends == 1


def test_a_worker_behind_the_import_stops_before_writing_a_chunk_twice(
        api: Any, one_row_chunks: None, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Two workers on one import (the first one's lease ran out while it still ran): the one whose resume
    point is behind the stored one writes nothing and ends nothing; the rows stay written once."""
    from server.models import RecordImport
    from server.records.imports import run

    database = api.app.extensions["boms_db"]
    _api(api)
    _cancelling_after(api, monkeypatch, 2)
    import_id = upload(api, _ok_rows(5), type_key="ticket").get_json()["id"]
    body = finished(api, import_id)
    assert body["status"] == "cancelled" and body["inserted"] == 2, body
    monkeypatch.undo()
    monkeypatch.setattr(run, "CHUNK", 1)
    with api.app.app_context():
        with database.write() as session:  # as if still running, two chunks written by the other worker
            row = session.get(RecordImport, import_id)
            row.status, row.cancel_requested, row.finished_at = "writing", False, None
        with database.read() as session:
            row = session.get(RecordImport, import_id)
            table, checker = run.prepare(session, row, run.imports_root(api.app.instance_path))
        with pytest.raises(run.Superseded):
            run._write_all(database, import_id, table, checker, True, 0)
    after = api.get("sam", f"/api/v1/imports/{import_id}").get_json()
    assert (after["status"], after["inserted"], after["rowsDone"]) == ("writing", 2, 2), after
    assert _numbers(api) == ["T-0001", "T-0002"]
