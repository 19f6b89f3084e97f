"""A parallel multi-instance's engine state: one row per instance, only the touched rows written, the working
set kept between steps only while it is what is stored, and states saved whole before chunks still run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import delete, select

from server.auth.permissions import Principal
from server.engine import store
from server.engine.runner import Runner
from server.models import InstanceStateChunk, ProcessInstance, User
from server.services import tasks as task_service
from server.services.tasks import NEXT_TASKS_LIMIT
from tests.engine.flow import Flow


def _db(flow: Flow) -> Any:
    return flow.api.app.extensions["boms_db"]


def _runner(flow: Flow) -> Runner:
    return flow.api.app.extensions["boms_runner"]


def _rows(flow: Flow, instance_id: str) -> dict[str, str]:
    with _db(flow).read() as session:
        return dict(session.execute(select(InstanceStateChunk.chunk_id, InstanceStateChunk.body)
                                    .where(InstanceStateChunk.instance_id == instance_id)).all())


def _start(flow: Flow, count: int) -> tuple[str, list[dict[str, Any]]]:
    # Listed by creation time and id, not by loop index: tests compare the answers as a sorted list.
    flow.deploy("mi_approvals.bpmn")
    started = flow.start("mi_approvals", {"approvers": ["staff"] * count})
    return started["id"], flow.open(started["id"])["approve"]


def test_a_completion_rewrites_only_its_own_row(flow: Flow) -> None:
    instance_id, tasks = _start(flow, 6)
    before = _rows(flow, instance_id)
    assert sorted(before) == sorted(t["id"] for t in tasks)  # one row per open instance, keyed by its task
    with _db(flow).read() as session:
        header = session.get(ProcessInstance, instance_id).state
    assert not any(t["id"] in header for t in tasks)  # the siblings are not in the header at all
    flow.complete(tasks[2], {"answer": "yes"})
    after = _rows(flow, instance_id)
    assert sorted(after) == sorted(t["id"] for t in tasks if t is not tasks[2])
    assert all(after[chunk_id] == before[chunk_id] for chunk_id in after)  # siblings untouched, byte for byte
    for task in tasks[:2] + tasks[3:]:
        flow.complete(task, {"answer": "no"})
    detail = flow.instance(instance_id)
    assert detail["status"] == "completed" and sorted(detail["variables"]["answers"]) == ["no"] * 5 + ["yes"]
    assert _rows(flow, instance_id) == {}  # an ended instance keeps no state


def test_every_completion_loaded_from_the_rows_alone(flow: Flow) -> None:
    # As in another worker process: nothing kept in memory, so each step reads the header and the rows.
    instance_id, tasks = _start(flow, 5)
    for index, task in enumerate(tasks):
        _runner(flow).working_sets.clear()
        flow.complete(task, {"answer": f"a{index}"})
        assert len(_rows(flow, instance_id)) == len(tasks) - index - 1
    detail = flow.instance(instance_id)
    assert detail["status"] == "completed" and sorted(detail["variables"]["answers"]) == [f"a{i}" for i in range(5)]


def test_a_working_set_another_process_made_stale_is_not_used(flow: Flow) -> None:
    instance_id, tasks = _start(flow, 3)
    flow.complete(tasks[0], {"answer": "first"})  # leaves a working set in this process
    kept = dict(_runner(flow).working_sets._entries)
    assert instance_id in kept
    _runner(flow).working_sets.clear()
    flow.complete(tasks[1], {"answer": "second"})  # "another process": it had nothing kept
    runner = _runner(flow)
    runner.working_sets.clear()
    runner.working_sets._put(instance_id, kept[instance_id])  # the stale one is back in this process
    flow.complete(tasks[2], {"answer": "third"})
    detail = flow.instance(instance_id)
    assert detail["status"] == "completed" and sorted(detail["variables"]["answers"]) == ["first", "second", "third"]


def test_a_rolled_back_step_leaves_no_working_set(flow: Flow) -> None:
    instance_id, tasks = _start(flow, 2)
    flow.complete(tasks[0], {"answer": "yes"})
    assert instance_id in _runner(flow).working_sets._entries
    with pytest.raises(RuntimeError), _db(flow).write() as session:
        who = Principal.of(session.scalars(select(User).where(User.username == "staff")).one())
        task_service.complete(session, _runner(flow), who, tasks[1]["id"], {"answer": "lost"})
        raise RuntimeError("the transaction fails after the step ran")
    assert instance_id not in _runner(flow).working_sets._entries  # the half-committed workflow is gone
    flow.complete(tasks[1], {"answer": "no"})
    assert sorted(flow.instance(instance_id)["variables"]["answers"]) == ["no", "yes"]


def test_a_state_saved_whole_before_chunks_still_runs_and_is_split_on_its_next_save(flow: Flow) -> None:
    instance_id, tasks = _start(flow, 4)
    with _db(flow).write() as session:  # write it as BOMS did before 0023_p3: one JSON text, no rows
        row = session.get(ProcessInstance, instance_id)
        rows = list(session.execute(select(InstanceStateChunk.chunk_id, InstanceStateChunk.body)
                                    .where(InstanceStateChunk.instance_id == instance_id)).all())
        whole = store.full_state(row.state, rows)
        whole.pop(store.REVISION)
        row.state = json.dumps(whole)
        session.execute(delete(InstanceStateChunk).where(InstanceStateChunk.instance_id == instance_id))
    _runner(flow).working_sets.clear()
    assert all(t["id"] in row.state for t in tasks)
    flow.complete(tasks[1], {"answer": "yes"})
    assert sorted(_rows(flow, instance_id)) == sorted(t["id"] for t in tasks if t is not tasks[1])
    for task in (tasks[0], tasks[2], tasks[3]):
        _runner(flow).working_sets.clear()
        flow.complete(task, {"answer": "no"})
    detail = flow.instance(instance_id)
    assert detail["status"] == "completed" and sorted(detail["variables"]["answers"]) == ["no", "no", "no", "yes"]


def test_a_completions_next_tasks_do_not_grow_with_the_open_siblings(flow: Flow) -> None:
    instance_id, tasks = _start(flow, NEXT_TASKS_LIMIT + 10)
    response = flow.api.post("staff", f"/api/v1/tasks/{tasks[0]['id']}/complete", json={"variables": {"answer": "y"}})
    assert response.status_code == 200, response.get_json()
    following = response.get_json()["nextTasks"]
    # All made by the start's step at one time, so oldest first is by id.
    assert [t["id"] for t in following] == sorted(t["id"] for t in tasks[1:])[:NEXT_TASKS_LIMIT]
