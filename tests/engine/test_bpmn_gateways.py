"""Inclusive gateways: split on every true condition, default flow when none is, join what was taken."""

from __future__ import annotations

import pytest

from tests.engine.flow import Flow


@pytest.fixture
def inclusive(flow: Flow) -> Flow:
    flow.deploy("inclusive.bpmn")
    return flow


def test_both_branches_and_the_join_waits_for_both(inclusive: Flow) -> None:
    started = inclusive.start("inclusive_demo")
    inclusive.finish(started["id"], "choose", {"wantA": True, "wantB": True})
    assert inclusive.elements(started["id"]) == ["task_a", "task_b"]
    inclusive.finish(started["id"], "task_b")
    assert inclusive.elements(started["id"]) == ["task_a"]
    inclusive.finish(started["id"], "task_a")
    assert inclusive.elements(started["id"]) == ["after_join"]
    inclusive.finish(started["id"], "after_join")
    assert inclusive.instance(started["id"])["status"] == "completed"


def test_one_branch_the_join_does_not_wait_for_the_other(inclusive: Flow) -> None:
    started = inclusive.start("inclusive_demo")
    inclusive.finish(started["id"], "choose", {"wantA": True, "wantB": False})
    assert inclusive.elements(started["id"]) == ["task_a"]
    inclusive.finish(started["id"], "task_a")
    assert inclusive.elements(started["id"]) == ["after_join"]


def test_no_condition_true_takes_the_default_flow(inclusive: Flow) -> None:
    started = inclusive.start("inclusive_demo")
    inclusive.finish(started["id"], "choose", {"wantA": False, "wantB": False})
    assert inclusive.elements(started["id"]) == ["task_default"]
    inclusive.finish(started["id"], "task_default")
    assert inclusive.elements(started["id"]) == ["after_join"]
    visited = inclusive.instance(started["id"])["visitedElements"]
    assert "f_default" in visited and "task_a" not in visited
