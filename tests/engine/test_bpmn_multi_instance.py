"""Parallel and sequential multi-instance over a collection or a cardinality, on user tasks and
sub-processes, with completion conditions and output collections."""

from __future__ import annotations

import pytest

from tests.engine.flow import Flow


@pytest.fixture
def mi(flow: Flow) -> Flow:
    flow.deploy("mi_user_tasks.bpmn")
    return flow


def test_parallel_user_tasks_with_completion_condition_and_output(mi: Flow) -> None:
    started = mi.start("mi_users", {"reviewers": ["ann", "bob", "cy"], "signers": ["bob", "ann"], "checks": 2})
    votes = mi.open(started["id"])["vote"]
    assert sorted(t["assignee"] for t in votes) == ["ann", "bob", "cy"]
    by_user = {t["assignee"]: t for t in votes}
    mi.complete(by_user["cy"], {"ballot": "no"}, who="cy")
    assert len(mi.open(started["id"])["vote"]) == 2
    mi.complete(by_user["ann"], {"ballot": "yes"}, who="ann")
    # nrOfCompletedInstances >= 2: bob's vote is no longer needed
    assert mi.elements(started["id"]) == ["sign"]
    assert by_user["bob"]["id"] in {t["id"] for t in mi.task_rows(started["id"], "cancelled")}
    variables = mi.instance(started["id"])["variables"]
    assert variables["ballots"] == ["yes", None, "no"]  # by position in the collection, not by finishing order


def test_sequential_over_an_expression_then_cardinality(mi: Flow) -> None:
    started = mi.start("mi_users", {"reviewers": ["ann", "bob"], "signers": ["bob", "ann"], "checks": 3})
    for task in mi.open(started["id"])["vote"]:
        mi.complete(task, {"ballot": "yes"}, who=task["assignee"])
    [first] = mi.open(started["id"])["sign"]
    assert first["assignee"] == "bob"  # one at a time, in order
    mi.complete(first, who="bob")
    [second] = mi.open(started["id"])["sign"]
    assert second["assignee"] == "ann"
    mi.complete(second, who="ann")
    checks = mi.open(started["id"])["check"]
    assert len(checks) == 3
    for task in checks:
        mi.complete(task)
    assert mi.instance(started["id"])["status"] == "completed"


def test_empty_collection_skips_the_activity(mi: Flow) -> None:
    started = mi.start("mi_users", {"reviewers": [], "signers": [], "checks": 0})
    assert mi.instance(started["id"])["status"] == "completed"


def test_a_collection_that_is_not_a_list_is_an_incident_naming_the_element(mi: Flow) -> None:
    started = mi.start("mi_users", {"reviewers": "ann", "signers": [], "checks": 1})
    detail = mi.instance(started["id"])
    assert detail["status"] == "error" and detail["openTasks"] == []
    assert detail["error"]["element"] == "vote"
    assert "collection 'reviewers' must be a list, but it is a text" in detail["error"]["message"]


def test_a_cardinality_that_is_a_list_fails_and_leaves_the_spec_intact(mi: Flow) -> None:
    # SpiffWorkflow's Camunda task rewrote its shared spec here, breaking every later instance.
    failed = mi.instance(mi.start("mi_users", {"reviewers": [], "signers": [], "checks": ["a", "b"]})["id"])
    assert failed["status"] == "error" and failed["error"]["element"] == "check"
    assert "must be a whole number" in failed["error"]["message"]
    started = mi.start("mi_users", {"reviewers": [], "signers": [], "checks": 2})
    assert len(mi.open(started["id"])["check"]) == 2


def test_parallel_subprocess_over_a_collection(flow: Flow) -> None:
    flow.deploy("mi_subprocess.bpmn")
    started = flow.start("mi_sub", {"orders": [{"id": 1}, {"id": 2}, {"id": 3}]})
    packs = flow.open(started["id"])["pack"]
    assert len(packs) == 3
    for task in reversed(packs):
        detail = flow.api.get("admin", f"/api/v1/tasks/{task['id']}").get_json()
        number = detail["variables"].get("order", {}).get("id") if "order" in detail["variables"] else None
        flow.complete(task, {"parcel": f"box-{number if number is not None else task['id']}"})
    assert flow.elements(started["id"]) == ["ship"]
    packed = flow.instance(started["id"])["variables"]["packed"]
    assert len(packed) == 3 and all(p and p.startswith("box-") for p in packed)
    flow.finish(started["id"], "ship")
    assert flow.instance(started["id"])["status"] == "completed"


def test_automatic_tasks_complete_in_one_step(flow: Flow) -> None:
    flow.deploy("mi_automatic.bpmn")
    started = flow.start("mi_automatic", {"items": list(range(50))})
    done = flow.instance(started["id"])
    assert done["status"] == "completed"
    assert done["variables"]["handled"] == list(range(50))
