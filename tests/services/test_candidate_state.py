"""task_candidate.state follows its task through claim, unclaim, completion and cancellation (migration 0019).

The inbox's groups badge and the API's open tasks of a group read only the open candidate rows, so a
candidate row that still said "open" after its task closed would show work that is not there.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from server.models import HumanTask, TaskCandidate
from server.models.task import ASSIGNED, CLAIMABLE


def _states(app: Any, task_id: str) -> set[str | None]:
    with app.extensions["boms_db"].read() as session:
        return set(session.scalars(select(TaskCandidate.state).where(TaskCandidate.task_id == task_id)))


def _badge(api: Any, who: str) -> int:
    response = api.get(who, "/api/v1/tasks", query_string={"candidateGroup": "employees"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


def test_candidate_rows_mirror_the_task_and_the_counts_follow(app: Any, api: Any) -> None:
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    (task_a,) = api.start("worker", "two_tasks")["openTasks"]
    assert _states(app, task_a["id"]) == {CLAIMABLE}
    assert _badge(api, "worker") == 1

    assert api.post("worker", f"/api/v1/tasks/{task_a['id']}/claim").status_code == 200
    assert _states(app, task_a["id"]) == {ASSIGNED}
    assert _badge(api, "worker") == 1  # still open: the group's open tasks include assigned ones

    assert api.post("worker", f"/api/v1/tasks/{task_a['id']}/unclaim").status_code == 200
    assert _states(app, task_a["id"]) == {CLAIMABLE}

    done = api.post("worker", f"/api/v1/tasks/{task_a['id']}/complete", json={"variables": {"note": "x"}})
    assert done.status_code == 200, done.get_json()
    (task_b,) = done.get_json()["nextTasks"]
    assert _states(app, task_a["id"]) == {None}
    assert _states(app, task_b["id"]) == {CLAIMABLE}
    assert _badge(api, "worker") == 1
    # Completed tasks keep their candidates: who could have worked on them stays on record.
    old = api.get("admin", f"/api/v1/tasks/{task_a['id']}").get_json()
    assert old["candidateGroups"] == ["employees"]
    completed = api.get("worker", "/api/v1/tasks", query_string={"candidateGroup": "employees",
                                                                  "status": "completed"}).get_json()
    assert [t["id"] for t in completed["items"]] == [task_a["id"]]

    instance = done.get_json().get("instanceId") or task_a["instanceId"]
    assert api.post("admin", f"/api/v1/process-instances/{instance}/cancel").status_code in (200, 204)
    assert _states(app, task_b["id"]) == {None}
    assert _badge(api, "worker") == 0


def test_groups_badge_counts_a_task_named_twice_once(app: Any, api: Any) -> None:
    from server.auth.permissions import Principal
    from server.models import User
    from server.services.inbox import tab_counts

    api.user("worker", groups=("employees", "managers"))
    api.user("other", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    (task_a,) = api.start("worker", "two_tasks")["openTasks"]
    with app.extensions["boms_db"].write() as session:
        session.add(TaskCandidate(task_id=task_a["id"], kind="group", name="managers"))
        session.add(TaskCandidate(task_id=task_a["id"], kind="user", name="worker"))
    with app.extensions["boms_db"].read() as session:
        who = Principal.of(session.scalar(select(User).where(User.username == "worker")))
        assert tab_counts(session, who)["groups"] == 1
        assert session.get(HumanTask, task_a["id"]).assignee is None
    assert _states(app, task_a["id"]) == {CLAIMABLE}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no parallel plans
def test_task_lists_are_planned_without_parallel_workers(app: Any, api: Any) -> None:
    from server.auth.permissions import Principal
    from server.models import User
    from server.queries import PageRequest
    from server.services.tasks import TaskFilter, list_tasks

    api.user("worker", groups=("employees",))
    database = app.extensions["boms_db"]
    show = text("SHOW max_parallel_workers_per_gather")
    with database.read() as session:
        default = session.execute(show).scalar()
    with database.read() as session:
        who = Principal.of(session.scalar(select(User).where(User.username == "worker")))
        list_tasks(session, who, TaskFilter(candidate_group="employees"), PageRequest())
        assert session.execute(show).scalar() == "0"
    with database.read() as session:  # only for that transaction
        assert session.execute(show).scalar() == default
