"""Task-overdue triggers: once per task falling overdue, found by the sweep through the due-date index,
caught up after an outage, and at once when an admin moves a due date into the past."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from server.db import utcnow
from server.models import HumanTask
from server.rules import overdue
from server.rules.sweep import sweep_schedules
from tests.rules.conftest import run_due_jobs, runs, save_rule

RULE = {"key": "late", "trigger": {"type": "process", "process": "purchase_request", "on": ["task.overdue"]},
        "actions": [{"type": "create_record", "recordType": "material",
                     "fields": {"name": "='late: ' + task.name", "stock": 1}}]}


def _materials(api: Any) -> list[str]:
    return sorted(r["fields"]["name"] for r in api.get("admin", "/api/v1/records/material").get_json()["items"])


def test_a_task_past_its_due_date_fires_the_rule_once(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, RULE)
    (task,) = api.start("alice", "purchase_request", {"item": "Desk", "amount": 5,
                                                          "reason": "for the team"})["openTasks"]
    database = api.app.extensions["boms_db"]
    assert sweep_schedules(database, api.app.config["BOMS"]) == 0  # no due date yet
    with database.write() as session:  # due from now on (after the sweep's watermark)
        session.execute(update(HumanTask).where(HumanTask.id == task["id"]).values(due_at=datetime.utcnow()))
    assert sweep_schedules(database, api.app.config["BOMS"]) == 1
    assert sweep_schedules(database, api.app.config["BOMS"]) == 0
    run_due_jobs(api.app)
    [made] = _materials(api)
    assert made.startswith("late: ")
    [r] = runs(api, "late")
    assert r["trigger"] == "task.overdue" and r["status"] == "done"


def test_a_due_date_moved_into_the_past_fires_at_once_and_a_completed_task_never(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, RULE)
    (first,) = api.start("alice", "purchase_request", {"item": "A", "amount": 5, "reason": "for the team"})["openTasks"]
    past = (datetime.utcnow() - timedelta(hours=1)).isoformat() + "Z"
    moved = api.client.patch(f"/api/v1/tasks/{first['id']}", headers=api.headers("admin"), json={"dueAt": past})
    assert moved.status_code == 200, moved.get_json()
    assert len(runs(api, "late")) == 1
    # The sweep does not fire it again (its due date is before the watermark, and the run exists).
    assert sweep_schedules(api.app.extensions["boms_db"], api.app.config["BOMS"]) == 0
    future = (datetime.utcnow() + timedelta(days=1)).isoformat() + "Z"
    (second,) = api.start("alice", "purchase_request", {"item": "B", "amount": 5,
                                                            "reason": "for the team"})["openTasks"]
    assert api.client.patch(f"/api/v1/tasks/{second['id']}", headers=api.headers("admin"),
                            json={"dueAt": future}).status_code == 200
    assert len(runs(api, "late")) == 1


def test_task_overdue_is_a_process_event_name_and_other_names_are_refused(rules_api: Any) -> None:
    bad = save_rule(rules_api, {**RULE, "trigger": {**RULE["trigger"], "on": ["task.late"]}}, expect=400)
    assert "task.overdue" in str(bad)


def test_tasks_sharing_a_due_date_at_a_batch_boundary_all_fire(rules_api: Any, monkeypatch: Any) -> None:
    """A full batch moves the watermark to its last due date: the tasks due then beyond the batch fire too."""
    save_rule(rules_api, RULE)
    ids = [rules_api.start("alice", "purchase_request", {"item": f"D{i}", "amount": 5, "reason": "for the team"}
                           )["openTasks"][0]["id"] for i in range(3)]
    database, config = rules_api.app.extensions["boms_db"], rules_api.app.config["BOMS"]
    with database.write() as session:  # due in a moment, without an event: only the sweep sees them
        session.execute(update(HumanTask).where(HumanTask.id.in_(ids))
                        .values(due_at=utcnow() + timedelta(seconds=1)))
    time.sleep(1.2)
    monkeypatch.setattr(overdue, "BATCH", 2)
    for _ in range(3):
        sweep_schedules(database, config)
    assert len(runs(rules_api, "late")) == 3
