"""Operating instances: migrate (single and bulk), suspend, cancel, reassign, due date — all audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.models import EventSubscription, Job
from tests.conftest import FIXTURES

TWO = FIXTURES / "camunda" / "two_user_tasks.bpmn"


def _version(tmp_path: Path, name: str, old: str, new: str) -> Path:
    path = tmp_path / name
    path.write_text(TWO.read_text().replace(old, new))
    return path


def _history(api: Any, instance_id: str) -> list[dict[str, Any]]:
    return api.get("auditor", f"/api/v1/process-instances/{instance_id}/history").get_json()["items"]


def test_migrate_to_the_latest_version_keeps_the_open_task(api: Any, tmp_path: Path) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("erin", "two_tasks")
    api.deploy("modeler", _version(tmp_path, "v2.bpmn", 'name="Second"', 'name="Second, renamed"'))
    response = api.post("admin", f"/api/v1/process-instances/{instance['id']}/migrate")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["processVersion"] == 2
    [task] = api.open_tasks("erin", instanceId=instance["id"])
    assert task["id"] == instance["openTasks"][0]["id"]
    done = api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}})
    assert [t["name"] for t in done.get_json()["nextTasks"]] == ["Second, renamed"]
    [event] = [e for e in _history(api, instance["id"]) if e["kind"] == "instance.migrated"]
    assert event["actor"] == "admin" and event["data"]["fromVersion"] == 1 and event["data"]["toVersion"] == 2


def test_migration_is_refused_when_an_active_element_is_gone_and_bulk_reports_each(api: Any,
                                                                                    tmp_path: Path) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    waiting_a = api.start("erin", "two_tasks")
    moved_on = api.start("erin", "two_tasks")
    [task] = moved_on["openTasks"]
    api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}})
    # v2 renames task_a's id: instances waiting there cannot move, those at task_b can.
    api.deploy("modeler", _write(tmp_path / "v2.bpmn", TWO.read_text().replace("task_a", "task_a2")))
    single = api.post("admin", f"/api/v1/process-instances/{waiting_a['id']}/migrate")
    assert single.status_code == 409 and "task_a" in single.get_json()["error"]["message"]
    bulk = api.post("admin", "/api/v1/process-instances/migrate",
                    json={"instanceIds": [waiting_a["id"], moved_on["id"], "nope"]})
    assert bulk.status_code == 200
    results = {r["id"]: r for r in bulk.get_json()["results"]}
    assert results[moved_on["id"]]["ok"] and results[moved_on["id"]]["version"] == 2
    assert not results[waiting_a["id"]]["ok"] and results[waiting_a["id"]]["error"]["code"] == "conflict"
    assert results["nope"]["error"]["code"] == "not_found"
    assert bulk.get_json()["migrated"] == 1
    unchanged = api.get("admin", f"/api/v1/process-instances/{waiting_a['id']}").get_json()
    assert unchanged["processVersion"] == 1
    assert api.post("erin", "/api/v1/process-instances/migrate",
                    json={"instanceIds": [moved_on["id"]]}).get_json()["results"][0]["error"]["code"] == "forbidden"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_suspended_instance_refuses_completion_until_resumed(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("erin", "two_tasks")
    [task] = instance["openTasks"]
    assert api.post("erin", f"/api/v1/process-instances/{instance['id']}/suspend").status_code == 403
    suspended = api.post("admin", f"/api/v1/process-instances/{instance['id']}/suspend")
    assert suspended.get_json()["status"] == "suspended"
    refused = api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}})
    assert refused.status_code == 409 and "suspended" in refused.get_json()["error"]["message"]
    assert api.post("admin", f"/api/v1/process-instances/{instance['id']}/suspend").status_code == 409
    assert api.post("admin", f"/api/v1/process-instances/{instance['id']}/resume").get_json()["status"] == "running"
    assert api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}).status_code == 200
    kinds = [e["kind"] for e in _history(api, instance["id"])]
    assert kinds.index("instance.suspended") < kinds.index("instance.resumed") < kinds.index("task.completed")


def test_cancel_drops_waiting_timers_and_subscriptions(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "events/timer_catch.bpmn", "events/payment.bpmn")
    timed = api.start("erin", "timer_catch", {"delay": "PT1H"})
    paying = api.start("erin", "payment", {"payWithin": "PT1H"}, businessKey="X")
    for instance in (timed, paying):
        assert api.post("admin", f"/api/v1/process-instances/{instance['id']}/cancel").status_code == 200
    with api.app.extensions["boms_db"].read() as session:
        assert [j.status for j in session.scalars(select(Job))] == ["cancelled", "cancelled"]
        assert list(session.scalars(select(EventSubscription))) == []


def test_reassign_and_change_due_date_are_audited_and_admin_only(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.user("frank", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("erin", "two_tasks")
    [task] = instance["openTasks"]
    url = f"/api/v1/tasks/{task['id']}"
    assert api.client.patch(url, json={"assignee": "erin"}, headers=api.headers("erin")).status_code == 403
    response = api.client.patch(url, json={"assignee": "frank", "dueAt": "2030-01-02T03:04:05Z"},
                                headers=api.headers("admin"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == "frank" and body["dueAt"].startswith("2030-01-02T03:04:05")
    bad = api.client.patch(url, json={"dueAt": "soon"}, headers=api.headers("admin"))
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "dueAt"
    kinds = [(e["kind"], e["actor"]) for e in _history(api, instance["id"])]
    assert ("task.reassigned", "admin") in kinds and ("task.due_changed", "admin") in kinds


def test_migrating_a_process_with_a_decision_task(api: Any, tmp_path: Path) -> None:
    from tests.conftest import ROOT, purchase_request_team

    purchase_request_team(api)
    instance = api.start("alice", "purchase_request", {"item": "Desk", "amount": 300, "reason": "a new desk"})
    source = (ROOT / "bpmn" / "purchase_request.bpmn").read_text()
    api.deploy("modeler", _write(tmp_path / "purchase_request.bpmn",
                                 source.replace('name="Purchase request"', 'name="Purchase request v2"', 1)))
    response = api.post("admin", f"/api/v1/process-instances/{instance['id']}/migrate")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["processVersion"] == 2
