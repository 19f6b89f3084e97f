"""Issue 16, defect 2: an instance whose saved state cannot be loaded answers 409 (never 500), and an admin can
always cancel it (without loading the state) or repair it by setting the variable that broke it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from server.db import utcnow
from server.models import AuditEvent, HumanTask, Job, ProcessInstance
from tests.conftest import run_due_jobs

DEEP = "[" * 500 + "1" + "]" * 500  # loads as JSON; SpiffWorkflow's deserializer recursed on it


def deep_state(state: str) -> str:
    """The saved state with a variable nested 500 levels deep in the root task's data."""
    dct = json.loads(state)
    dct["tasks"][dct["root"]]["data"]["deep"] = "@DEEP@"
    return json.dumps(dct).replace('"@DEEP@"', DEEP)


HOSTILE = {
    "deep variable": deep_state,
    "not JSON": lambda state: "{" + state[:100],
    "JSON nested 5,000 deep": lambda state: "[" * 5000 + "]" * 5000,
    "wrong shape": lambda state: json.dumps({"tasks": 3}),
}


def break_instance(api: Any, breaker: Any) -> tuple[str, str]:
    """A started two-task instance with a pending timer job; its state is then overwritten in the row."""
    instance = api.start("alice", "two_tasks")
    with api.app.extensions["boms_db"].write() as session:
        row = session.get(ProcessInstance, instance["id"])
        session.add(Job(instance_id=row.id, kind="timer", element_id="task_a", task_id=None, payload={},
                        due_at=utcnow(), status="pending", attempts=0, created_at=utcnow()))
        session.execute(update(ProcessInstance).where(ProcessInstance.id == row.id)
                        .values(state=breaker(row.state)))
    return instance["id"], instance["openTasks"][0]["id"]


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_actions_on_an_unreadable_state_answer_409_and_an_admin_can_cancel(team: Any, kind: str) -> None:
    instance_id, task_id = break_instance(team, HOSTILE[kind])
    response = team.post("alice", f"/api/v1/tasks/{task_id}/complete", json={"variables": {"note": "x"}})
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert response.get_json()["error"]["code"] == "state_unreadable"
    assert team.post("admin", f"/api/v1/process-instances/{instance_id}/retry").status_code == 409
    run_due_jobs(team.app)  # the timer job meets the broken state: an incident, not a crash

    response = team.post("admin", f"/api/v1/process-instances/{instance_id}/cancel", json={"reason": "broken"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["status"] == "cancelled"
    with team.app.extensions["boms_db"].read() as session:
        assert session.get(HumanTask, task_id).status == "cancelled"
        jobs = session.scalars(select(Job.status).where(Job.instance_id == instance_id)).all()
        assert jobs and all(status in ("cancelled", "failed", "done") for status in jobs), jobs
        assert "pending" not in jobs
        event = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                         AuditEvent.kind == "instance.cancelled")).one()
        data = json.loads(event.data)
        assert event.actor == "admin" and data["stateUnreadable"] is True and data["reason"] == "broken"
        assert session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id,
                                                              AuditEvent.kind == "task.cancelled")).all()
    assert team.get("admin", "/api/v1/audit/verify").get_json()["ok"] is True


def test_an_admin_repairs_an_unreadable_state_by_setting_the_variable(team: Any) -> None:
    instance_id, task_id = break_instance(team, deep_state)
    response = team.client.patch(f"/api/v1/process-instances/{instance_id}/variables",
                                 headers=team.headers("admin"), json={"variables": {"deep": None}})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    response = team.post("alice", f"/api/v1/tasks/{task_id}/complete", json={"variables": {"note": "x"}})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    with team.app.extensions["boms_db"].read() as session:
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id)).all()
    assert "instance.state_repaired" in kinds


def test_a_state_that_cannot_be_repaired_says_so(team: Any) -> None:
    instance_id, _task_id = break_instance(team, HOSTILE["not JSON"])
    response = team.client.patch(f"/api/v1/process-instances/{instance_id}/variables",
                                 headers=team.headers("admin"), json={"variables": {"deep": None}})
    assert response.status_code == 409
    assert "cancel" in response.get_json()["error"]["message"]


def test_the_admin_page_cancels_an_unreadable_instance(team: Any, browser: Any) -> None:
    instance_id, _task_id = break_instance(team, deep_state)
    admin = browser("admin")
    page = f"/admin/instances/{instance_id}"
    assert admin.get(page).status_code == 200
    response = admin.post(f"{page}/operate", {"action": "cancel"}, from_page=page)
    assert response.status_code == 302
    assert team.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()["status"] == "cancelled"
