"""SpiffWorkflow behaviours that are silently wrong (see FACTS.md), and how BOMS deals with each;
errors thrown by a called process; the saved state staying a working set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import InstanceStateChunk, ProcessInstance
from tests.engine.flow import Flow


def _state_size(flow: Flow, instance_id: str) -> int:
    """The saved engine state: the instance's header and its multi-instance chunk rows."""
    with flow.api.app.extensions["boms_db"].read() as session:
        state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))
        chunks = session.scalars(select(InstanceStateChunk.body).where(InstanceStateChunk.instance_id == instance_id))
        return len(state.encode()) + sum(len(body.encode()) for body in chunks)


def test_link_events_are_refused_at_deploy_naming_the_element(flow: Flow) -> None:
    error = flow.deploy("link_events.bpmn", expect=422)["error"]
    assert error["file"] == "link_events.bpmn" and error["element"] == "go_to_b" and error["line"]
    assert "link events are not supported" in error["message"]


def test_event_subprocess_inside_a_subprocess_is_refused(flow: Flow) -> None:
    error = flow.deploy("nested_event_subprocess.bpmn", expect=422)["error"]
    assert error["element"] == "inner_handler" and "event sub-process" in error["message"]


def test_cancelled_instance_is_cancelled_not_completed(flow: Flow) -> None:
    # wf.cancel() leaves SpiffWorkflow's `completed` True: the status must come from BOMS, not from it.
    flow.deploy("inclusive.bpmn")
    started = flow.start("inclusive_demo")
    task = flow.task(started["id"], "choose")
    response = flow.api.post("admin", f"/api/v1/process-instances/{started['id']}/cancel", json={})
    assert response.status_code == 200, response.get_json()
    detail = flow.instance(started["id"])
    assert detail["status"] == "cancelled" and detail["openTasks"] == []
    flow.complete(task, {"wantA": True, "wantB": False}, expect=409)
    assert flow.instance(started["id"])["status"] == "cancelled"


def test_error_end_in_a_called_process_is_caught_on_the_call_activity(flow: Flow) -> None:
    flow.deploy("callee_error.bpmn", "caller_catches.bpmn")
    failing = flow.start("caller_catches")
    flow.finish(failing["id"], "decide", {"fail": True})
    assert flow.elements(failing["id"]) == ["handle_failure"]
    ok = flow.start("caller_catches")
    flow.finish(ok["id"], "decide", {"fail": False})
    assert flow.elements(ok["id"]) == ["after_ok"]


def _approvals(flow: Flow, count: int) -> tuple[int, int, dict[str, Any]]:
    started = flow.start("mi_approvals", {"approvers": ["staff"] * count})
    waiting = _state_size(flow, started["id"])
    tasks = flow.open(started["id"])["approve"]
    for task in tasks[:-1]:
        flow.complete(task, {"answer": "yes"})
    before_last = _state_size(flow, started["id"])
    flow.complete(tasks[-1], {"answer": "yes"})
    return waiting, before_last, flow.instance(started["id"])


def test_saved_state_keeps_only_the_working_set(flow: Flow) -> None:
    flow.deploy("mi_approvals.bpmn")
    small_waiting, small_last, small = _approvals(flow, 3)
    big_waiting, big_last, big = _approvals(flow, 30)
    assert small["status"] == big["status"] == "completed"
    assert big["variables"]["answers"] == ["yes"] * 30
    # 30 open instances cost 30 tasks of state; with one left open, the 29 finished ones are gone
    # (only their answers remain, ~7 bytes each).
    assert big_waiting > small_waiting + 27 * 200
    assert big_last - small_last < 27 * 40
