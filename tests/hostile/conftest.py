"""The hostile-input corpus: requests an attacker or a broken client sends. Every one gets a 4xx or works."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def team(api: Any) -> Any:
    """alice (staff, employees) and a deployed two-task process (`two_tasks`, form field `note`)."""
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    return api


def nested(depth: int, leaf: Any = 1) -> Any:
    """A value nested `depth` levels deep: [[[...leaf...]]]."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def open_task(api: Any, instance: dict[str, Any]) -> str:
    return instance["openTasks"][0]["id"]


def no_5xx(response: Any) -> Any:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    return response
