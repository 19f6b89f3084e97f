"""Substitutes (out of office): tasks assigned to someone in their range go to their substitute."""

from __future__ import annotations

from datetime import timedelta

from server.db import utcnow
from tests.conftest import Api
from tests.engine.flow import Flow
from tests.engine.test_task_return import kinds, setup, submitted


def put(api: Api, who: str, **body: object) -> object:
    return api.client.put("/api/v1/users/me/substitute", headers=api.headers(who), json=body)


def test_a_substitute_takes_new_tasks_in_the_range(api: Api) -> None:
    flow: Flow = setup(api)
    api.user("deputy")
    today = utcnow().date()
    response = put(api, "boss", user="deputy", **{"from": today.isoformat(),
                                                   "until": (today + timedelta(days=7)).isoformat()})
    assert response.status_code == 200, response.get_json()
    assert api.get("boss", "/api/v1/users/me/substitute").get_json()["user"] == "deputy"
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    assert task["assignee"] == "deputy" and task["owner"] == "boss" and task["delegation"] == "substitute"
    assert [t["id"] for t in api.open_tasks("boss", view="delegated")] == [task["id"]]
    assert "task.substituted" in kinds(api, instance)
    flow.complete(task, {"managerDecision": "approve"}, who="deputy")
    assert flow.elements(instance) == ["finance_review"]
    # Cleared: the next request is boss's again.
    assert put(api, "boss", user=None).status_code == 200
    assert flow.task(submitted(api, flow), "manager_review")["assignee"] == "boss"


def test_a_range_in_the_future_changes_nothing_yet_and_bad_input_is_refused(api: Api) -> None:
    flow = setup(api)
    api.user("deputy")
    later = utcnow().date() + timedelta(days=3)
    assert put(api, "boss", user="deputy", **{"from": later.isoformat(), "until": later.isoformat()}).status_code == 200
    assert flow.task(submitted(api, flow), "manager_review")["assignee"] == "boss"
    for body, text in (({"user": "boss", "from": "2026-01-01", "until": "2026-01-02"}, "own substitute"),
                       ({"user": "ghost", "from": "2026-01-01", "until": "2026-01-02"}, "does not exist"),
                       ({"user": "deputy", "from": "2026-01-05", "until": "2026-01-02"}, "before"),
                       ({"user": "deputy", "from": "soon", "until": "2026-01-02"}, "YYYY-MM-DD")):
        response = put(api, "boss", **body)
        assert response.status_code == 400 and text in str(response.get_json()), response.get_json()
