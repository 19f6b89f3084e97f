"""Helpers for the external-task tests: a worker account and engine-rest calls."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

BASE = "/engine-rest/external-task"


def fetch(api: Api, worker: str = "w1", topic: str = "charge-card", lock_ms: int = 60_000, max_tasks: int = 10,
          who: str = "worker", **extra: Any) -> list[dict[str, Any]]:
    body = {"workerId": worker, "maxTasks": max_tasks,
            "topics": [{"topicName": topic, "lockDuration": lock_ms, **extra}]}
    response = api.post(who, f"{BASE}/fetchAndLock", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def act(api: Api, task_id: str, action: str, body: dict[str, Any], expect: int = 204, who: str = "worker") -> Any:
    response = api.post(who, f"{BASE}/{task_id}/{action}", json=body)
    assert response.status_code == expect, response.get_json()
    return response
