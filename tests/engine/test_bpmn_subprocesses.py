"""Embedded and event sub-processes, errors, escalations and terminate end events, through the API.

Every API call loads the pruned engine state and saves it again, so each step below also proves
that the behaviour survives a save/load.
"""

from __future__ import annotations

import pytest

from tests.engine.flow import Flow


@pytest.fixture
def errors(flow: Flow) -> Flow:
    flow.deploy("subprocess_errors.bpmn")
    return flow


def test_embedded_subprocess_runs_through(errors: Flow) -> None:
    started = errors.start("sub_errors")
    assert errors.elements(started["id"]) == ["review"]
    assert "review_sub" in errors.instance(started["id"])["activeElements"]
    errors.finish(started["id"], "review", {"outcome": "fine"})
    assert errors.elements(started["id"]) == ["after_review"]
    errors.finish(started["id"], "after_review")
    done = errors.instance(started["id"])
    assert done["status"] == "completed"
    assert {"review_sub", "sub_end", "f_after"} <= set(done["visitedElements"])


def test_error_end_event_caught_by_code_on_the_subprocess(errors: Flow) -> None:
    started = errors.start("sub_errors")
    errors.finish(started["id"], "review", {"outcome": "rejected"})
    assert errors.elements(started["id"]) == ["fix_rejected"]
    assert "review_sub" not in errors.instance(started["id"])["activeElements"]
    errors.finish(started["id"], "fix_rejected")
    assert errors.instance(started["id"])["status"] == "completed"


def test_error_without_a_matching_code_goes_to_the_catch_all_boundary(errors: Flow) -> None:
    started = errors.start("sub_errors")
    errors.finish(started["id"], "review", {"outcome": "broken"})
    assert errors.elements(started["id"]) == ["handle_other"]


def test_non_interrupting_escalation_boundary_keeps_the_subprocess(errors: Flow) -> None:
    started = errors.start("sub_errors")
    errors.finish(started["id"], "review", {"outcome": "note"})
    assert errors.elements(started["id"]) == ["after_review", "read_note"]
    errors.finish(started["id"], "read_note")
    assert errors.instance(started["id"])["status"] == "running"
    errors.finish(started["id"], "after_review")
    assert errors.instance(started["id"])["status"] == "completed"


def test_interrupting_escalation_boundary_cancels_the_subprocess(errors: Flow) -> None:
    started = errors.start("sub_errors")
    errors.finish(started["id"], "review", {"outcome": "stop"})
    assert errors.elements(started["id"]) == ["stopped"]
    errors.finish(started["id"], "stopped")
    assert errors.instance(started["id"])["status"] == "completed"


@pytest.fixture
def event_subs(flow: Flow) -> Flow:
    flow.deploy("event_subprocesses.bpmn")
    return flow


def test_interrupting_error_event_subprocess_cancels_the_open_work(event_subs: Flow) -> None:
    started = event_subs.start("event_subs")
    assert event_subs.elements(started["id"]) == ["main_work", "prepare"]
    main_work = event_subs.task(started["id"], "main_work")
    event_subs.finish(started["id"], "prepare", {"action": "break"})
    assert event_subs.elements(started["id"]) == ["repair"]
    cancelled = {t["id"] for t in event_subs.task_rows(started["id"], "cancelled")}
    assert main_work["id"] in cancelled
    event_subs.complete(main_work, expect=409)
    event_subs.finish(started["id"], "repair")
    assert event_subs.instance(started["id"])["status"] == "completed"


def test_non_interrupting_escalation_event_subprocess_runs_beside(event_subs: Flow) -> None:
    started = event_subs.start("event_subs")
    event_subs.finish(started["id"], "prepare", {"action": "tell"})
    assert event_subs.elements(started["id"]) == ["main_work", "note_it"]
    event_subs.finish(started["id"], "note_it")
    assert event_subs.instance(started["id"])["status"] == "running"
    event_subs.finish(started["id"], "main_work")
    assert event_subs.instance(started["id"])["status"] == "completed"


def test_no_event_no_event_subprocess(event_subs: Flow) -> None:
    started = event_subs.start("event_subs")
    event_subs.finish(started["id"], "prepare", {"action": "nothing"})
    event_subs.finish(started["id"], "main_work")
    done = event_subs.instance(started["id"])
    assert done["status"] == "completed"
    assert "repair" not in done["visitedElements"] and "note_it" not in done["visitedElements"]


@pytest.fixture
def terminate(flow: Flow) -> Flow:
    flow.deploy("terminate.bpmn")
    return flow


def test_terminate_inside_a_subprocess_ends_only_that_scope(terminate: Flow) -> None:
    started = terminate.start("terminate_demo")
    assert terminate.elements(started["id"]) == ["inner_a", "inner_b", "long_task"]
    inner_b = terminate.task(started["id"], "inner_b")
    terminate.finish(started["id"], "inner_a")
    assert terminate.elements(started["id"]) == ["after_inner", "long_task"]
    assert inner_b["id"] in {t["id"] for t in terminate.task_rows(started["id"], "cancelled")}
    terminate.finish(started["id"], "after_inner", {"decision": "go on"})
    terminate.finish(started["id"], "long_task")
    assert terminate.instance(started["id"])["status"] == "completed"


def test_terminate_at_top_level_ends_the_instance_and_cancels_user_tasks(terminate: Flow) -> None:
    started = terminate.start("terminate_demo")
    long_task = terminate.task(started["id"], "long_task")
    terminate.finish(started["id"], "inner_a")
    terminate.finish(started["id"], "after_inner", {"decision": "stop"})
    done = terminate.instance(started["id"])
    assert done["status"] == "completed"
    assert done["openTasks"] == [] and done["activeElements"] == []
    assert long_task["id"] in {t["id"] for t in terminate.task_rows(started["id"], "cancelled")}
    terminate.complete(long_task, expect=409)
