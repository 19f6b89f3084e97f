"""People and helpers for the Camunda 7 model tests (tests/fixtures/camunda7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def team(api: Api) -> Api:
    api.user("staff", groups=("staff",))
    api.user("bob", groups=("warehouse",))
    api.user("kermit_0")
    api.user("kermit_1")
    return api


def instance(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def complete(api: Api, who: str, task_id: str, variables: dict[str, Any] | None = None) -> Any:
    response = api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables or {}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def open_by_element(api: Api, instance_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for task in api.open_tasks("admin", instanceId=instance_id, pageSize=500):
        found.setdefault(task["elementId"], []).append(task)
    return found
