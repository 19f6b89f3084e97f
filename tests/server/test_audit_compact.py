"""Compact audit rows (hash version 3, server/audit_compact.py): what they leave out is implied, still
hashed, given back to readers, and tampering is still found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from server.audit import Event, publish
from server.audit_compact import COMPACT_VERSION, IMPLIED_PREV
from server.services.audit import verify
from tests.server.test_audit_chain import _attacker


def _events(api: Any) -> list[dict[str, Any]]:
    return api.get("auditor", "/api/v1/audit", query_string={"pageSize": 500}).get_json()["items"]


def test_rows_store_less_and_readers_get_the_full_values(app: Any, api: Any) -> None:
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    (task,) = api.start("worker", "two_tasks")["openTasks"]
    with app.extensions["boms_db"].write() as session:
        publish(session, Event("record.updated", "worker", subject_type="record", subject_id="R-1"))
    with app.extensions["boms_db"].engine.connect() as conn:
        stored = conn.execute(text("SELECT seq, prev_hash, subject_type, subject_id, hash_version "
                                   "FROM audit_event ORDER BY seq")).all()
    assert {row.hash_version for row in stored} == {COMPACT_VERSION}
    assert {row.prev_hash for row in stored} == {IMPLIED_PREV}
    by_type = {row.subject_type: row.subject_id for row in stored}
    assert by_type["task"] is None and by_type["instance"] is None and by_type["record"] == "R-1"

    events = _events(api)
    assert events[0]["prevHash"] == "0" * 64
    for before, after in zip(events, events[1:], strict=False):
        assert after["prevHash"] == before["hash"]
    task_events = [e for e in events if e["taskId"] == task["id"]]
    assert task_events and all(e["subjectType"] == "task" and e["subjectId"] == task["id"] for e in task_events)
    started = next(e for e in events if e["kind"] == "instance.started")
    assert started["subjectType"] == "instance" and started["subjectId"] == started["instanceId"]
    assert next(e for e in events if e["kind"] == "record.updated")["subjectId"] == "R-1"
    with app.extensions["boms_db"].read() as session:
        assert verify(session).ok


def test_a_deleted_or_edited_compact_row_is_found(app: Any, api: Any) -> None:
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.start("worker", "two_tasks")
    seqs = [e["seq"] for e in _events(api)]
    middle = seqs[len(seqs) // 2]
    with _attacker(app.extensions["boms_db"]) as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE seq = {middle}"))
        conn.commit()
    with app.extensions["boms_db"].read() as session:
        problems = verify(session).problems
    after = seqs[seqs.index(middle) + 1]
    assert {"seq": after, "problem": "content does not match its hash (edited)"} in problems
    assert any("missing" in p["problem"] for p in problems)

    with _attacker(app.extensions["boms_db"]) as conn:
        # Putting a subject back by hand changes what the hash covers only if it differs from the default.
        conn.execute(text(f"UPDATE audit_event SET subject_id = 'someone-else' WHERE seq = {seqs[0]}"))
        conn.commit()
    with app.extensions["boms_db"].read() as session:
        assert {"seq": seqs[0], "problem": "content does not match its hash (edited)"} in verify(session).problems
