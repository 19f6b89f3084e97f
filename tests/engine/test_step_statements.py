"""What one start and one completion cost in SQL (issue 17), and the "anyone" candidate row.

The budget is a count, not a time: the same on any machine. bench/engine_throughput.py prints the
counts; these tests fail when a change adds a query to the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from server.models import TaskCandidate
from server.models.task import ANYONE_KIND, ANYONE_NAME
from tests.conftest import FIXTURES

# PostgreSQL appends to the audit chain in one statement; SQLite moves the chain head in a second.
# The rule engine's look-up of the rules about this process comes from its per-process cache
# (server/rules/cache.py), loaded by the first start: a step of a process without rules pays nothing.
# The element passages (server/engine/passages.py) are one INSERT of many rows per step, on PostgreSQL inside
# the audit append's statement; a completion looks up no human_task row but those the engine had reached.
# Who is in the task's group comes from the per-process directory cache (server/services/recipients.py).
BUDGET = {"postgresql": {"start": 6, "complete": 7}, "sqlite": {"start": 8, "complete": 9}}


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    engine = app.extensions["boms_db"].engine
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def test_start_and_complete_stay_within_their_statement_budget(app: Any, api: Any, monkeypatch: Any) -> None:
    # The rule and directory caches live a few seconds by default; a slow machine must not see them reload.
    monkeypatch.setitem(app.config, "BOMS", replace(app.config["BOMS"], rule_cache_seconds=3600,
                                                    directory_cache_seconds=3600))
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.start("worker", "two_tasks")  # the first start parses the version: a per-version cost
    budget = BUDGET[app.extensions["boms_db"].engine.dialect.name]
    with counted(app) as start_sql:
        started = api.start("worker", "two_tasks")
    (task_a,) = started["openTasks"]
    with counted(app) as complete_sql:
        done = api.post("worker", f"/api/v1/tasks/{task_a['id']}/complete", json={"variables": {"note": "x"}})
    assert done.status_code == 200, done.get_json()
    (task_b,) = done.get_json()["nextTasks"]
    assert task_b["elementId"] == "task_b" and task_b["candidateGroups"] == task_a["candidateGroups"]
    assert len(start_sql) <= budget["start"], "\n".join(start_sql)
    assert len(complete_sql) <= budget["complete"], "\n".join(complete_sql)
    # The responses came from the step, so they must match what a fresh read says.
    fresh = api.get("worker", f"/api/v1/tasks/{task_b['id']}").get_json()
    assert {k: fresh[k] for k in task_b} == task_b


def test_a_task_nobody_is_named_for_has_the_anyone_row_and_any_staff_may_claim_it(
        app: Any, api: Any, tmp_path: Path) -> None:
    api.user("starter")
    api.user("someone")
    model = (FIXTURES / "camunda" / "two_user_tasks.bpmn").read_text()
    model = model.replace(' camunda:candidateGroups="employees"', "", 1)  # task_a: nobody named
    (tmp_path / "anyone.bpmn").write_text(model)
    api.deploy("modeler", tmp_path / "anyone.bpmn")
    (task,) = api.start("starter", "two_tasks")["openTasks"]
    with app.extensions["boms_db"].read() as session:
        rows = session.execute(select(TaskCandidate.kind, TaskCandidate.name)
                               .where(TaskCandidate.task_id == task["id"])).all()
    assert rows == [(ANYONE_KIND, ANYONE_NAME)]
    # The row is not a group or a user: the API shows nobody named.
    assert task["candidateGroups"] == [] and task["candidateUsers"] == []
    assert task["id"] in [t["id"] for t in api.open_tasks("someone")]
    claimed = api.post("someone", f"/api/v1/tasks/{task['id']}/claim")
    assert claimed.status_code == 200, claimed.get_json()
    # Claimed, it is someone's: another staff member no longer sees it as claimable.
    assert task["id"] not in [t["id"] for t in api.open_tasks("starter")]


def test_creation_events_record_only_the_facts_that_are_set(app: Any, api: Any) -> None:
    # Storage per instance (issue 17, P4): no null assignee/due/businessKey, no empty candidate list.
    import json

    from server.models import AuditEvent

    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    started = api.start("worker", "two_tasks")
    keyed = api.post("worker", "/api/v1/process-definitions/two_tasks/start",
                     json={"variables": {}, "businessKey": "PO-7"}).get_json()
    with app.extensions["boms_db"].read() as session:
        rows = session.execute(select(AuditEvent.instance_id, AuditEvent.kind, AuditEvent.data)
                               .where(AuditEvent.kind.in_(("instance.started", "task.created")))).all()
    data = {(instance, kind): json.loads(text) for instance, kind, text in rows}
    assert data[(started["id"], "task.created")] == {"name": "First", "candidateGroups": ["employees"]}
    assert data[(started["id"], "instance.started")] == {"process": "two_tasks", "version": 1, "variables": {}}
    assert data[(keyed["id"], "instance.started")]["businessKey"] == "PO-7"
