"""Call activities to other deployed processes: latest or pinned version, variable mappings,
human tasks of the called process in the normal task list, recursion limit, deploy checks."""

from __future__ import annotations

import pytest

from tests.engine.flow import Flow


@pytest.fixture
def calls(flow: Flow) -> Flow:
    flow.deploy("callee_v1.bpmn")
    flow.deploy("caller.bpmn", "caller_pinned.bpmn")
    return flow


def test_called_process_task_is_in_the_task_list_and_the_caller_continues(calls: Flow) -> None:
    started = calls.start("caller", {"amount": 700, "secret": "not passed"})
    [task] = calls.api.open_tasks("staff", processKey="caller")
    assert task["elementId"] == "callee_review" and task["instanceId"] == started["id"]
    detail = calls.api.get("staff", f"/api/v1/tasks/{task['id']}").get_json()
    assert detail["name"] == "Review (v1)"
    # The task's form is the called process's: its fields are validated like any other task's.
    assert list(detail["form"]["properties"]) == ["approved"]
    calls.complete(task, {"approved": "yes"}, expect=422)
    calls.complete(task, {"approved": True})
    assert calls.elements(started["id"]) == ["after_call"]
    variables = calls.instance(started["id"])["variables"]
    assert variables["calleeApproved"] is True  # camunda:out approved -> calleeApproved
    assert "approved" not in variables  # only what is mapped comes back
    calls.finish(started["id"], "after_call")
    done = calls.instance(started["id"])
    assert done["status"] == "completed" and "call_review" in done["visitedElements"]


def test_in_mapping_passes_only_the_mapped_variables(calls: Flow) -> None:
    started = calls.start("caller", {"amount": 700, "secret": "not passed"})
    task = calls.task(started["id"], "callee_review")
    # While the called process waits, the instance's current variables are the callee's.
    seen = calls.api.get("staff", f"/api/v1/tasks/{task['id']}").get_json()["variables"]
    assert seen["amount"] == 700 and "secret" not in seen
    calls.complete(task, {"approved": False})
    history = calls.api.get("admin", f"/api/v1/process-instances/{started['id']}/history").get_json()["items"]
    assert any(e["kind"] == "task.completed" and e.get("elementId") == "callee_review" for e in history)
    assert calls.instance(started["id"])["variables"]["calleeApproved"] is False


def test_running_call_keeps_its_version_when_a_new_one_is_deployed(calls: Flow) -> None:
    waiting = calls.start("caller", {"amount": 1})
    assert calls.elements(waiting["id"]) == ["callee_review"]
    body = calls.deploy("callee_v2.bpmn")
    assert body["processes"][0]["version"] == 2
    # The instance that waits inside v1 stays in v1 across further saves and loads.
    assert calls.elements(waiting["id"]) == ["callee_review"]
    calls.finish(waiting["id"], "callee_review", {"approved": True})
    assert calls.elements(waiting["id"]) == ["after_call"]
    # A new instance calls the latest version.
    fresh = calls.start("caller", {"amount": 2})
    assert calls.elements(fresh["id"]) == ["callee_review_v2"]
    calls.finish(fresh["id"], "callee_review_v2", {"approved": False})
    assert calls.instance(fresh["id"])["variables"]["calleeApproved"] is False


def test_pinned_version_and_all_variables_both_ways(calls: Flow) -> None:
    calls.deploy("callee_v2.bpmn")
    started = calls.start("caller_pinned", {"amount": 5, "note": "x"})
    assert calls.elements(started["id"]) == ["callee_review"]  # version 1, though 2 is the latest
    calls.finish(started["id"], "callee_review", {"approved": True})
    variables = calls.instance(started["id"])["variables"]
    assert variables["approved"] is True and variables["note"] == "x"


def test_call_to_a_process_that_is_not_deployed_is_refused(flow: Flow) -> None:
    error = flow.deploy("caller_missing.bpmn", expect=422)["error"]
    assert error["file"] == "caller_missing.bpmn" and error["element"] == "call_nobody"
    assert error["line"] and "not_deployed_anywhere" in error["message"]
    assert flow.api.get("admin", "/api/v1/process-definitions/caller_missing").status_code == 404


def test_pinned_version_that_does_not_exist_is_refused(flow: Flow) -> None:
    error = flow.deploy("caller_pinned.bpmn", expect=422)["error"]
    assert error["element"] == "call_v1" and "version 1" in error["message"]


def test_callee_in_the_same_deployment_is_accepted(flow: Flow) -> None:
    flow.deploy("caller.bpmn", "callee_v1.bpmn")
    started = flow.start("caller", {"amount": 3})
    assert flow.elements(started["id"]) == ["callee_review"]


def test_recursion_is_limited(flow: Flow) -> None:
    flow.deploy("recursive.bpmn")
    detail = flow.instance(flow.start("recursive")["id"])
    assert detail["status"] == "error" and detail["error"]["element"] == "call_self"
    assert "calls nest more than 16 levels deep" in detail["error"]["message"]


def test_multi_instance_call_activity_collects_each_result(calls: Flow) -> None:
    calls.deploy("caller_many.bpmn")
    started = calls.start("caller_many", {"amounts": [10, 20, 30]})
    reviews = calls.open(started["id"])["callee_review"]
    assert len(reviews) == 3
    for number, task in enumerate(reviews):
        calls.complete(task, {"approved": number != 1})  # the callee's form: a boolean
    assert calls.elements(started["id"]) == ["after_calls"]
    # Each call's result lands in its own slot (the slot of its amount), none lost or repeated.
    decisions = calls.instance(started["id"])["variables"]["decisions"]
    assert sorted(decisions) == [False, True, True]
