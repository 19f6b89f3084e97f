"""One write path: concurrent completions, atomic failure, and the tamper-evident audit chain."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import text


def _two_tasks(api: Any) -> dict[str, Any]:
    api.user("erin", groups=("employees",))
    api.user("eve", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    return api.start("erin", "two_tasks")


def test_two_concurrent_completions_one_wins_one_gets_409(api: Any) -> None:
    instance = _two_tasks(api)
    [task] = instance["openTasks"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def complete(who: str) -> None:
        client = api.app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=api.headers(who),
                               json={"variables": {"note": who}})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(who,)) for who in ("erin", "eve")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    history = api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["items"]
    assert [e["kind"] for e in history].count("task.completed") == 1
    [second] = api.open_tasks("erin", instanceId=instance["id"])
    assert second["elementId"] == "task_b"


def test_failed_step_becomes_an_incident_that_an_admin_fixes_and_retries(api: Any) -> None:
    """A gateway condition that reads a missing variable: the person's work is kept, the instance goes
    into error at the gateway, an admin corrects the variable and retries."""
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "camunda/loop.bpmn")
    instance = api.start("erin", "loop")
    [task] = instance["openTasks"]
    # `done` is in the form, so submit nothing: the gateway's `done == true` then has no variable to read.
    response = api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}})
    assert response.status_code == 200, response.get_json()
    after = api.get("erin", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert after["status"] == "error" and after["openTasks"] == [] and "more" in after["activeElements"]
    assert after["error"]["element"] == "more" and "done" in after["error"]["message"]
    history = api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["items"]
    assert [e["kind"] for e in history][-2:] == ["task.completed", "incident.created"]
    assert history[-1]["elementId"] == "more"
    # Only admins operate instances.
    assert api.post("erin", f"/api/v1/process-instances/{instance['id']}/retry").status_code == 403
    patch = api.client.patch(f"/api/v1/process-instances/{instance['id']}/variables",
                             json={"variables": {"done": True}}, headers=api.headers("admin"))
    assert patch.status_code == 200, patch.get_json()
    retried = api.post("admin", f"/api/v1/process-instances/{instance['id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "completed"
    history = api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["items"]
    changed = [e for e in history if e["kind"] == "instance.variables_changed"]
    assert changed[0]["actor"] == "admin" and changed[0]["data"]["changes"] == {"done": {"old": None, "new": True}}
    assert [e["kind"] for e in history][-3:] == ["instance.retried", "gateway.decided", "instance.completed"]
    again = api.post("admin", f"/api/v1/process-instances/{instance['id']}/retry")
    assert again.status_code == 409


def _tamper(app: Any, *statements: str) -> None:
    database = app.extensions["boms_db"]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
        for statement in statements:
            conn.execute(text(statement))


def test_audit_rows_cannot_be_changed_through_the_database(api: Any) -> None:
    _two_tasks(api)
    database = api.app.extensions["boms_db"]
    for statement in ("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2", "DELETE FROM audit_event"):
        try:
            with database.engine.begin() as conn:
                conn.execute(text(statement))
        except Exception as exc:  # the trigger's refusal, in each driver's own exception type
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
    assert api.get("auditor", "/api/v1/audit/verify").get_json()["ok"] is True


def test_verify_detects_an_edited_row(api: Any) -> None:
    _two_tasks(api)
    _tamper(api.app, "UPDATE audit_event SET data = '{\"variables\":{\"note\":\"forged\"}}' WHERE seq = 3")
    result = api.get("auditor", "/api/v1/audit/verify").get_json()
    assert result["ok"] is False
    assert {"seq": 3, "problem": "content does not match its hash (edited)"} in result["problems"]


def test_verify_detects_deleted_rows(api: Any) -> None:
    _two_tasks(api)
    _tamper(api.app, "DELETE FROM audit_event WHERE seq = 2")
    problems = api.get("auditor", "/api/v1/audit/verify").get_json()["problems"]
    assert any(p["seq"] == 3 and "missing" in p["problem"] for p in problems)


def test_verify_detects_a_truncated_tail(api: Any) -> None:
    _two_tasks(api)
    last = api.get("auditor", "/api/v1/audit", query_string={"pageSize": 500}).get_json()["total"]
    _tamper(api.app, f"DELETE FROM audit_event WHERE seq = {last}")
    problems = api.get("auditor", "/api/v1/audit/verify").get_json()["problems"]
    assert problems == [{"seq": last, "problem": "the last rows of the log are missing"}]


def test_two_concurrent_claims_one_wins_one_gets_409(api: Any) -> None:
    instance = _two_tasks(api)
    [task] = instance["openTasks"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def claim(who: str) -> None:
        client = api.app.test_client()
        barrier.wait()
        statuses[who] = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=api.headers(who)).status_code

    threads = [threading.Thread(target=claim, args=(who,)) for who in ("erin", "eve")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses.values()) == [200, 409]
    winner = next(who for who, status in statuses.items() if status == 200)
    assert api.get("erin", f"/api/v1/tasks/{task['id']}").get_json()["assignee"] == winner
    history = api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["items"]
    assert [e["data"] for e in history if e["kind"] == "task.claimed"] == [{"assignee": winner}]
