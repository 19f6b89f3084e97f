"""Who may see and do what: staff, the auditor, starters and admins; and the instance list filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def team(api: Any) -> Any:
    api.user("alice", groups=("employees",))
    api.user("bob", groups=("employees",))
    api.user("eve", groups=("sales",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn", "bpmnio/simple.bpmn")
    return api


def act(api: Any, who: str, task_id: str, action: str, variables: dict[str, Any] | None = None) -> Any:
    body = {"variables": variables or {}} if action == "complete" else None
    return api.post(who, f"/api/v1/tasks/{task_id}/{action}", json=body)


def first_task(api: Any, instance: dict[str, Any]) -> str:
    [task] = instance["openTasks"]
    return task["id"]


def test_staff_only_touch_tasks_of_their_groups(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task_id = first_task(team, instance)
    assert [t["id"] for t in team.open_tasks("bob")] == [task_id]
    assert team.open_tasks("eve") == [] and team.open_tasks("eve", candidateGroup="employees") == []
    assert team.get("eve", f"/api/v1/tasks/{task_id}").status_code == 403
    for action in ("claim", "unclaim", "complete"):
        response = act(team, "eve", task_id, action)
        assert response.status_code == 403, (action, response.get_json())
        assert response.get_json()["error"]["code"] == "forbidden"
    assert team.get("eve", f"/api/v1/process-instances/{instance['id']}").status_code == 403
    assert team.get("eve", f"/api/v1/process-instances/{instance['id']}/history").status_code == 403
    assert team.get("bob", f"/api/v1/tasks/{task_id}").get_json()["assignee"] is None
    assert act(team, "bob", task_id, "complete", {"note": "done"}).status_code == 200


def test_a_claimed_task_belongs_to_its_assignee(team: Any) -> None:
    task_id = first_task(team, team.start("alice", "two_tasks"))
    assert act(team, "bob", task_id, "claim").get_json()["assignee"] == "bob"
    assert act(team, "alice", task_id, "complete", {"note": "mine"}).status_code == 403
    assert act(team, "alice", task_id, "unclaim").status_code == 403
    assert team.get("bob", f"/api/v1/tasks/{task_id}").get_json()["assignee"] == "bob"

    unclaimed = act(team, "bob", task_id, "unclaim")
    assert unclaimed.status_code == 200 and unclaimed.get_json()["assignee"] is None
    assert act(team, "alice", task_id, "claim").get_json()["assignee"] == "alice"
    assert act(team, "alice", task_id, "complete", {"note": "mine"}).get_json()["completedBy"] == "alice"
    events = team.get("auditor", "/api/v1/audit", query_string={"task": task_id}).get_json()["items"]
    kinds = [e["kind"] for e in events]
    assert kinds == ["task.created", "task.claimed", "task.unclaimed", "task.claimed", "task.completed"]


def test_a_task_assigned_to_one_user_is_hidden_from_other_staff(team: Any) -> None:
    team.deploy("modeler", "camunda/assignment.bpmn")
    instance = team.start("bob", "assignment", {"group": "sales", "due": "2030-01-01T00:00:00Z"})
    [task] = instance["openTasks"]
    assert (task["elementId"], task["assignee"], task["candidateGroups"], task["candidateUsers"]) == (
        "t_assignee", "bob", [], [])
    assert [t["id"] for t in team.open_tasks("bob")] == [task["id"]]
    assert act(team, "alice", task["id"], "complete").status_code == 403  # working on it is refused already
    assert team.open_tasks("alice") == [] and team.open_tasks("eve") == []
    assert team.get("alice", f"/api/v1/tasks/{task['id']}").status_code == 403
    assert team.get("eve", f"/api/v1/process-instances/{instance['id']}").status_code == 403


def test_claiming_a_task_someone_else_claimed_is_a_conflict(team: Any) -> None:
    task_id = first_task(team, team.start("alice", "two_tasks"))
    assert act(team, "bob", task_id, "claim").status_code == 200
    response = act(team, "alice", task_id, "claim")
    assert response.status_code == 409, response.get_json()
    assert "bob" in response.get_json()["error"]["message"]


def test_admin_claiming_a_claimed_task_is_a_conflict(team: Any) -> None:
    task_id = first_task(team, team.start("alice", "two_tasks"))
    assert act(team, "bob", task_id, "claim").status_code == 200
    response = act(team, "admin", task_id, "claim")
    assert response.status_code == 409 and "bob" in response.get_json()["error"]["message"]


def test_auditor_reads_everything_and_changes_nothing(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task_id = first_task(team, instance)
    assert team.get("auditor", f"/api/v1/process-instances/{instance['id']}").status_code == 200
    assert team.get("auditor", f"/api/v1/process-instances/{instance['id']}/history").get_json()["total"] > 0
    assert team.get("auditor", f"/api/v1/tasks/{task_id}").get_json()["form"]["properties"]["note"]
    assert [t["id"] for t in team.open_tasks("auditor")] == [task_id]
    assert team.get("auditor", "/api/v1/process-instances").get_json()["total"] == 1
    assert team.get("auditor", "/api/v1/audit").get_json()["total"] > 0
    verified = team.get("auditor", "/api/v1/audit/verify").get_json()
    assert verified["ok"] is True and verified["problems"] == []

    simple = team.start("alice", "bpmnio_simple")  # a task open to any staff member, but not to the auditor
    before = team.get("auditor", "/api/v1/audit").get_json()["total"]
    for tid in (task_id, first_task(team, simple)):
        for action in ("claim", "unclaim", "complete"):
            assert act(team, "auditor", tid, action).status_code == 403, action
    assert team.post("auditor", "/api/v1/process-definitions/two_tasks/start", json={}).status_code == 403
    assert team.post("auditor", f"/api/v1/process-instances/{instance['id']}/cancel").status_code == 403
    team.deploy("auditor", "camunda/lanes.bpmn", expect=403)
    assert team.get("auditor", "/api/v1/audit").get_json()["total"] == before
    assert team.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()["status"] == "running"


@pytest.mark.parametrize("who", ["alice", "modeler"])
def test_only_admins_and_auditors_read_the_audit_log(team: Any, who: str) -> None:
    for url in ("/api/v1/audit", "/api/v1/audit/verify"):
        response = team.get(who, url)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert team.get("admin", "/api/v1/audit/verify").get_json()["ok"] is True


def test_staff_list_only_instances_they_started_or_work_on(team: Any) -> None:
    team.user("carol", groups=("hr",))
    by_eve = team.start("eve", "two_tasks")  # its task goes to employees
    by_alice = team.start("alice", "two_tasks")
    by_carol = team.start("carol", "two_tasks")

    def listed(who: str) -> set[str]:
        body = team.get(who, "/api/v1/process-instances").get_json()
        assert body["total"] == len(body["items"])
        return {i["id"] for i in body["items"]}

    everyone = {by_eve["id"], by_alice["id"], by_carol["id"]}
    assert listed("eve") == {by_eve["id"]}
    assert listed("carol") == {by_carol["id"]}
    assert listed("alice") == listed("bob") == everyone  # employees have a task in each
    assert listed("admin") == listed("auditor") == everyone
    assert team.get("eve", f"/api/v1/process-instances/{by_alice['id']}").status_code == 403
    assert team.get("carol", f"/api/v1/process-instances/{by_carol['id']}").status_code == 200


def test_cancel(team: Any) -> None:
    mine = team.start("alice", "two_tasks")
    task_id = first_task(team, mine)
    url = f"/api/v1/process-instances/{mine['id']}/cancel"
    for other in ("bob", "eve"):  # bob even has a task in it
        assert team.post(other, url, json={"reason": "nope"}).status_code == 403
    cancelled = team.post("alice", url, json={"reason": "duplicate"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["endedAt"] is not None and cancelled.get_json()["activeElements"] == []
    assert team.open_tasks("bob") == [] and team.open_tasks("alice") == []
    assert team.get("bob", f"/api/v1/tasks/{task_id}").get_json()["status"] == "cancelled"
    assert act(team, "bob", task_id, "complete", {"note": "late"}).status_code == 409
    events = team.get("auditor", "/api/v1/audit", query_string={"instance": mine["id"],
                                                                "kind": "instance.cancelled"}).get_json()["items"]
    assert [(e["actor"], e["data"]["reason"]) for e in events] == [("alice", "duplicate")]
    again = team.post("alice", url)
    assert again.status_code == 409 and "cancelled" in again.get_json()["error"]["message"]

    theirs = team.start("bob", "two_tasks")
    by_admin = team.post("admin", f"/api/v1/process-instances/{theirs['id']}/cancel")
    assert by_admin.status_code == 200 and by_admin.get_json()["status"] == "cancelled"
    assert team.post("admin", f"/api/v1/process-instances/{theirs['id']}/cancel").status_code == 409
    assert team.post("alice", "/api/v1/process-instances/no-such-instance/cancel").status_code == 404


RESTRICTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_restricted"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="restricted" name="Managers only" isExecutable="true"
      camunda:candidateStarterGroups="managers, finance" camunda:candidateStarterUsers="eve">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="Work" camunda:candidateGroups="managers">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_candidate_starter_groups(team: Any, tmp_path: Path) -> None:
    team.user("mike", groups=("managers",))
    team.user("fiona", groups=("finance", "employees"))
    path = tmp_path / "restricted.bpmn"
    path.write_text(RESTRICTED)
    team.deploy("modeler", path)
    definition = team.get("alice", "/api/v1/process-definitions/restricted").get_json()
    assert definition["candidateStarters"] == ["group:managers", "group:finance", "user:eve"]
    for who in ("mike", "fiona", "eve", "admin"):
        assert team.start(who, "restricted")["status"] == "running"
    response = team.post("alice", "/api/v1/process-definitions/restricted/start", json={"variables": {}})
    assert response.status_code == 403 and "group:managers" in response.get_json()["error"]["message"]
    assert team.get("admin", "/api/v1/process-instances", query_string={"key": "restricted"}).get_json()["total"] == 4
    assert team.start("alice", "two_tasks")["status"] == "running"  # unrestricted processes stay open


def test_instance_list_filters(team: Any) -> None:
    a1 = team.start("alice", "two_tasks", businessKey="A-1")
    a2 = team.start("alice", "two_tasks", businessKey="A-2")
    b1 = team.start("bob", "bpmnio_simple", businessKey="B-1")
    b2 = team.start("bob", "two_tasks", businessKey="B-2")
    assert act(team, "bob", first_task(team, b1), "complete").status_code == 200
    assert team.post("alice", f"/api/v1/process-instances/{a2['id']}/cancel").status_code == 200

    def keys(**query: Any) -> list[str]:
        body = team.get("admin", "/api/v1/process-instances", query_string=query).get_json()
        assert body["total"] == len(body["items"]), body
        return [i["businessKey"] for i in body["items"]]

    assert keys() == ["B-2", "B-1", "A-2", "A-1"]  # newest first
    assert keys(status="running") == ["B-2", "A-1"]
    assert keys(status="completed") == ["B-1"] and keys(status="cancelled") == ["A-2"]
    assert keys(key="bpmnio_simple") == ["B-1"] and keys(key="two_tasks") == ["B-2", "A-2", "A-1"]
    assert keys(businessKey="A-2") == ["A-2"] and keys(businessKey="nope") == []
    assert keys(startedBy="bob") == ["B-2", "B-1"] and keys(startedBy="bob", status="running") == ["B-2"]
    assert keys(startedAfter=a2["startedAt"]) == ["B-2", "B-1", "A-2"]
    assert keys(startedBefore=b1["startedAt"]) == ["A-2", "A-1"]
    assert keys(startedAfter=a2["startedAt"], startedBefore=b2["startedAt"]) == ["B-1", "A-2"]
    assert keys(startedAfter=a1["startedAt"]) == keys() and keys(startedBefore=a1["startedAt"]) == []
    assert keys(startedAfter="2999-01-01T00:00:00+00:00") == []

    page1 = team.get("admin", "/api/v1/process-instances", query_string={"pageSize": 3}).get_json()
    page2 = team.get("admin", "/api/v1/process-instances", query_string={"pageSize": 3, "page": 2}).get_json()
    assert (page1["total"], page1["page"], page1["pageSize"]) == (4, 1, 3)
    assert [i["businessKey"] for i in page1["items"]] == ["B-2", "B-1", "A-2"]
    assert (page2["total"], page2["page"]) == (4, 2) and [i["businessKey"] for i in page2["items"]] == ["A-1"]
    assert team.get("admin", "/api/v1/process-instances", query_string={"page": 3, "pageSize": 3}).get_json()[
        "items"] == []

    for bad in ({"status": "sleeping"}, {"startedAfter": "yesterday"}, {"pageSize": "many"}):
        response = team.get("admin", "/api/v1/process-instances", query_string=bad)
        assert response.status_code == 400, bad
