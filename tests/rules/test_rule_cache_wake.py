"""The per-process rule cache (no rule look-up for writes nothing is about; a rule saved here applies to the
next write at once) and the poller's wake-up when a transaction that queued a rule run commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from server.rules import cache
from server.rules.runs import enqueue
from server.services.job_wake import Waiter, _event_of
from tests.rules.conftest import create, runs, save_rule, update

RULE = {"key": "copy", "trigger": {"type": "record", "recordType": "material", "on": ["updated"]},
        "actions": [{"type": "update_record", "fields": {"safety_stock": "=record.stock"}}]}


def _rule_reads(app: Any, action: Any) -> list[str]:
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if " FROM rule " in statement or "FROM rule\n" in statement:
            seen.append(statement)

    engine = app.extensions["boms_db"].engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return seen


def test_writes_nothing_is_about_read_no_rules_and_a_saved_rule_applies_at_once(rules_api: Any) -> None:
    api = rules_api
    item = create(api, "material", name="Bolt", stock=3)
    update(api, "material", item, stock=4)  # loads the cache (every enabled rule, in one query)
    assert _rule_reads(api.app, lambda: update(api, "material", item, stock=5)) == []
    save_rule(api, RULE)
    update(api, "material", item, stock=6)
    assert len(runs(api, "copy")) == 1
    assert api.post("modeler", "/api/v1/rules/copy/disable").status_code == 200
    update(api, "material", item, stock=7)
    assert len(runs(api, "copy")) == 1


def test_a_rule_saved_in_the_transaction_sees_its_later_events(rules_api: Any) -> None:
    from server.auth.permissions import Principal
    from server.records import service as records
    from server.rules import store

    api = rules_api
    item = create(api, "material", name="Bolt", stock=3)
    update(api, "material", item, stock=4)
    who = Principal(0, "admin", frozenset({"admin"}), frozenset())
    with api.app.extensions["boms_db"].write() as session:
        store.save(session, RULE, "modeler")
        records.update_record(session, who, "material", item["id"], {"fields": {"stock": 9}})
    assert len(runs(api, "copy")) == 1
    with api.app.extensions["boms_db"].read() as session:
        assert [r.key for r in cache.rules_about(session, "record:material", 3600)] == ["copy"]


def test_a_commit_that_queued_a_run_wakes_the_poller_and_a_rollback_does_not(rules_api: Any) -> None:
    database = rules_api.app.extensions["boms_db"]
    waiter = Waiter(database)
    local = _event_of(database.engine)
    try:
        waiter.wait(0)  # nothing pending: returns
        local.clear()
        try:
            with database.write() as session:
                enqueue(session, 0, "rule_run")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert not local.is_set()
        if not database.is_sqlite:
            assert list(waiter._connection.notifies(timeout=0.5, stop_after=1)) == []
        with database.write() as session:
            enqueue(session, 0, "rule_run")
        assert local.is_set()
        if not database.is_sqlite:
            [note] = list(waiter._connection.notifies(timeout=30, stop_after=1))
            assert note.channel == "boms_jobs"
    finally:
        waiter.close()
