"""Files from every modeler BOMS accepts deploy unchanged and run; the decision API on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def people(api: Any) -> Any:
    api.user("alice", groups=("employees",))
    api.user("bob", groups=("employees",))
    api.user("mike", groups=("managers",))
    api.user("fiona", groups=("finance",))
    api.user("sam", groups=("sales",))
    return api


def complete(api: Any, who: str, task_id: str, variables: dict[str, Any] | None = None, status: int = 200) -> Any:
    response = api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables or {}})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def instance(api: Any, instance_id: str) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def only_task(api: Any, instance_id: str) -> dict[str, Any]:
    [task] = instance(api, instance_id)["openTasks"]
    return task


def test_camunda_two_user_tasks(people: Any) -> None:
    people.deploy("modeler", "camunda/two_user_tasks.bpmn")
    started = people.start("alice", "two_tasks")
    [first] = people.open_tasks("bob", instanceId=started["id"])
    assert first["elementId"] == "task_a" and first["candidateGroups"] == ["employees"]
    form = people.get("bob", f"/api/v1/tasks/{first['id']}").get_json()["form"]
    assert form["properties"]["note"]["type"] == "string"
    complete(people, "bob", first["id"], {"note": "looked at it"})
    second = only_task(people, started["id"])
    assert second["elementId"] == "task_b"
    complete(people, "alice", second["id"])
    done = instance(people, started["id"])
    assert done["status"] == "completed" and done["variables"]["note"] == "looked at it"


def test_bpmnio_task_without_assignment_is_open_to_any_staff(people: Any) -> None:
    people.deploy("modeler", "bpmnio/simple.bpmn")
    started = people.start("sam", "bpmnio_simple")
    task = only_task(people, started["id"])
    assert task["candidateGroups"] == [] and task["candidateUsers"] == [] and task["assignee"] is None
    for who in ("alice", "mike", "fiona", "sam"):
        assert [t["id"] for t in people.open_tasks(who)] == [task["id"]]
        assert people.get(who, f"/api/v1/tasks/{task['id']}").status_code == 200
    assert people.post("fiona", f"/api/v1/tasks/{task['id']}/claim").get_json()["assignee"] == "fiona"
    complete(people, "fiona", task["id"])
    assert instance(people, started["id"])["status"] == "completed"


def test_spiff_form_files(people: Any) -> None:
    body = people.deploy("modeler", "spiff/approval.bpmn", "spiff/approval-schema.json",
                         "spiff/approval-uischema.json").get_json()
    assert [(p["key"], p["version"]) for p in body["processes"]] == [("spiff_approval", 1)]
    started = people.start("alice", "spiff_approval")
    task = people.get("bob", f"/api/v1/tasks/{only_task(people, started['id'])['id']}").get_json()
    form = {k: v for k, v in task["form"].items() if k != "x-order"}  # x-order: the field order, added by BOMS
    assert form == json.loads((FIXTURES / "spiff/approval-schema.json").read_text())
    assert task["uiSchema"] == json.loads((FIXTURES / "spiff/approval-uischema.json").read_text())
    assert task["instructions"] == "Please review"

    missing = people.post("bob", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"comment": "hm"}})
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["fields"]) == {"approved"}
    too_long = people.post("bob", f"/api/v1/tasks/{task['id']}/complete",
                           json={"variables": {"approved": True, "comment": "x" * 101}})
    assert too_long.status_code == 422 and set(too_long.get_json()["error"]["fields"]) == {"comment"}
    assert instance(people, started["id"])["status"] == "running"

    complete(people, "bob", task["id"], {"approved": True, "comment": "ok"})
    done = instance(people, started["id"])
    assert done["status"] == "completed" and done["variables"]["approved"] is True


def test_spiff_without_its_form_file_is_refused(people: Any) -> None:
    error = people.deploy("modeler", "spiff/approval.bpmn", expect=422).get_json()["error"]
    assert error["file"] == "approval.bpmn" and error["element"] == "review_request"
    assert "approval-schema.json" in error["message"] or "approval-uischema.json" in error["message"]
    assert "not in this deployment" in error["message"]
    no_ui = people.deploy("modeler", "spiff/approval.bpmn", "spiff/approval-schema.json", expect=422)
    assert "'approval-uischema.json'" in no_ui.get_json()["error"]["message"]
    no_schema = people.deploy("modeler", "spiff/approval.bpmn", "spiff/approval-uischema.json", expect=422)
    assert "'approval-schema.json'" in no_schema.get_json()["error"]["message"]
    assert people.get("admin", "/api/v1/process-definitions").get_json()["total"] == 0


def test_zeebe_extensions_are_ignored(people: Any) -> None:
    people.deploy("modeler", "zeebe/order.bpmn")
    started = people.start("alice", "zeebe_order", {"orderId": "A-1", "total": 30})
    task = only_task(people, started["id"])
    assert task["elementId"] == "check_order"
    # zeebe:assignmentDefinition is not read: the task is open to any staff member.
    assert task["candidateGroups"] == [] and task["assignee"] is None
    complete(people, "mike", task["id"], {"approved": True})
    done = instance(people, started["id"])
    assert done["status"] == "completed"
    assert "orderApproved" not in done["variables"] and "orderTotal" not in done["variables"]


def test_camunda_lanes_become_candidate_groups(people: Any) -> None:
    people.deploy("modeler", "camunda/lanes.bpmn")
    started = people.start("alice", "lanes")
    mgr = only_task(people, started["id"])
    assert mgr["elementId"] == "t_mgr" and mgr["candidateGroups"] == ["managers"] and mgr["lane"] == "Managers"
    assert people.open_tasks("fiona") == [] and people.open_tasks("alice") == []
    complete(people, "mike", mgr["id"])
    fin = only_task(people, started["id"])
    assert fin["elementId"] == "t_fin" and fin["candidateGroups"] == ["finance"] and fin["lane"] == "Finance"
    complete(people, "mike", fin["id"], status=403)
    complete(people, "fiona", fin["id"])
    assert instance(people, started["id"])["status"] == "completed"


def test_camunda_assignment_variants(people: Any) -> None:
    people.deploy("modeler", "camunda/assignment.bpmn")
    started = people.start("bob", "assignment", {"group": "sales", "due": "2031-06-30T08:30:00+02:00"})
    assert started["variables"]["initiator"] == "bob"

    task = only_task(people, started["id"])
    assert (task["elementId"], task["assignee"], task["candidateGroups"]) == ("t_assignee", "bob", [])
    complete(people, "alice", task["id"], status=403)  # same group, but assigned to the starter
    complete(people, "bob", task["id"])

    task = only_task(people, started["id"])
    assert task["elementId"] == "t_groups" and task["candidateGroups"] == ["finance", "managers"]  # sorted
    assert [t["id"] for t in people.open_tasks("mike")] == [task["id"]] == [t["id"] for t in people.open_tasks("fiona")]
    complete(people, "fiona", task["id"])

    task = only_task(people, started["id"])
    assert task["elementId"] == "t_users" and task["candidateUsers"] == ["alice", "bob"]
    assert task["candidateGroups"] == []
    assert people.open_tasks("mike") == []
    complete(people, "alice", task["id"])

    task = only_task(people, started["id"])
    assert task["elementId"] == "t_expr_group" and task["candidateGroups"] == ["sales"]
    complete(people, "sam", task["id"])

    task = only_task(people, started["id"])
    assert task["elementId"] == "t_due_fixed" and task["dueAt"] == "2030-01-01T12:00:00Z"
    complete(people, "alice", task["id"])

    task = only_task(people, started["id"])
    assert task["elementId"] == "t_due_expr" and task["dueAt"] == "2031-06-30T06:30:00Z"
    complete(people, "alice", task["id"])
    assert instance(people, started["id"])["status"] == "completed"


FIELD_ORDER = ["title", "quantity", "urgent", "deliveryDate", "color", "reference"]
GOOD_FORM = {"title": "New chairs", "quantity": 12, "urgent": True, "deliveryDate": "2030-05-01", "color": "blue"}


def test_camunda_form_field_types(people: Any) -> None:
    people.deploy("modeler", "camunda/all_form_types.bpmn")
    started = people.start("alice", "forms")
    task = people.get("alice", f"/api/v1/tasks/{only_task(people, started['id'])['id']}").get_json()
    props = task["form"]["properties"]
    assert set(props) == set(FIELD_ORDER)
    assert props["title"]["type"] == "string"
    assert (props["title"]["minLength"], props["title"]["maxLength"]) == (3, 40)
    assert props["title"]["x-properties"] == {"placeholder": "A short title"}
    assert props["quantity"]["type"] == "integer" and props["quantity"]["default"] == 1
    assert (props["quantity"]["minimum"], props["quantity"]["maximum"]) == (1, 100)
    assert props["urgent"] == {"type": "boolean", "title": "Urgent", "default": False}
    assert props["deliveryDate"]["format"] == "date"
    assert props["color"]["enum"] == ["red", "green", "blue"] and props["color"]["default"] == "green"
    assert props["reference"]["readOnly"] is True and props["reference"]["default"] == "REF-001"
    assert set(task["form"]["required"]) == {"title", "quantity"}

    bad = {"title": "ab", "quantity": 101, "urgent": "yes", "deliveryDate": "2030-02-30", "color": "purple"}
    response = people.post("alice", f"/api/v1/tasks/{task['id']}/complete", json={"variables": bad})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields == {
        "title": "title: must be at least 3 characters",
        "quantity": "quantity: must be at most 100",
        "urgent": "urgent: must be true or false",
        "deliveryDate": "deliveryDate: must be a date (YYYY-MM-DD)",
        "color": "color: must be one of red, green, blue",
    }
    more = {"title": "x" * 41, "quantity": 0, "deliveryDate": "01.05.2030"}
    fields = people.post("alice", f"/api/v1/tasks/{task['id']}/complete", json={"variables": more}).get_json()
    assert fields["error"]["fields"] == {"title": "title: must be at most 40 characters",
                                         "quantity": "quantity: must be at least 1",
                                         "deliveryDate": "deliveryDate: must be a date (YYYY-MM-DD)"}
    fields = people.post("alice", f"/api/v1/tasks/{task['id']}/complete",
                         json={"variables": {"quantity": 2.5}}).get_json()["error"]["fields"]
    assert fields == {"title": "title: is required", "quantity": "quantity: must be an integer"}
    assert instance(people, started["id"])["status"] == "running"

    fields = people.post("alice", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {
        **GOOD_FORM, "reference": "HACKED"}}).get_json()["error"]["fields"]
    assert fields == {"reference": "reference: is read-only and cannot be changed"}  # refused, not dropped
    complete(people, "alice", task["id"], {**GOOD_FORM, "quantity": 12.0})
    done = instance(people, started["id"])
    assert done["status"] == "completed"
    assert done["variables"]["quantity"] == 12 and isinstance(done["variables"]["quantity"], int)
    assert done["variables"].get("reference") != "HACKED"


def test_camunda_form_keeps_the_modelers_field_order(people: Any) -> None:
    people.deploy("modeler", "camunda/all_form_types.bpmn")
    started = people.start("alice", "forms")
    form = people.get("alice", f"/api/v1/tasks/{only_task(people, started['id'])['id']}").get_json()["form"]
    # Either the properties arrive in the modeler's order, or the schema carries the order as a list.
    orders = [list(form["properties"])] + [v for v in form.values() if isinstance(v, list)]
    assert FIELD_ORDER in orders


def test_camunda_loop_fifty_times(people: Any) -> None:
    people.deploy("modeler", "camunda/loop.bpmn")
    started = people.start("alice", "loop")
    for _ in range(50):
        complete(people, "bob", only_task(people, started["id"])["id"], {"done": False})
    complete(people, "alice", only_task(people, started["id"])["id"], {"done": True})
    done = instance(people, started["id"])
    assert done["status"] == "completed" and done["openTasks"] == []
    history = people.get("auditor", f"/api/v1/process-instances/{started['id']}/history").get_json()["items"]
    assert sum(e["kind"] == "task.completed" for e in history) == 51
    assert sum(e["kind"] == "task.created" for e in history) == 51
    assert history[-1]["kind"] == "instance.completed"


def evaluate(api: Any, key: str, body: Any) -> Any:
    return api.post("alice", f"/api/v1/decisions/{key}/evaluate", json=body)


def test_decision_api(people: Any) -> None:
    people.deploy("modeler", "dmn/approval_route.dmn")
    small = evaluate(people, "approval_route", {"variables": {"amount": 100}})
    assert small.status_code == 200, small.get_json()
    body = small.get_json()
    assert body["decision"] == "approval_route" and body["version"] == 1
    assert body["result"] == {"route": "manager"}
    assert [m["rule"] for m in body["matchedRules"]] == ["Rule_manager"]

    large = evaluate(people, "approval_route", {"variables": {"amount": 5000}}).get_json()
    assert large["result"] == {"route": "finance"} and [m["rule"] for m in large["matchedRules"]] == ["Rule_finance"]

    missing = evaluate(people, "approval_route", {"variables": {}})
    assert missing.status_code == 422
    assert "amount" in missing.get_json()["error"]["message"]

    unknown = evaluate(people, "no_such_decision", {"variables": {"amount": 1}})
    assert unknown.status_code == 404 and "no_such_decision" in unknown.get_json()["error"]["message"]
    assert evaluate(people, "approval_route", {"variables": [1]}).status_code == 400
