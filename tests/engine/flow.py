"""Drive deployed processes through the API: start, list open tasks by element, complete."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


class Flow:
    def __init__(self, api: Api) -> None:
        self.api = api

    def deploy(self, *names: str, expect: int = 201) -> Any:
        return self.api.deploy("modeler", *[f"engine/{n}" for n in names], expect=expect).get_json()

    def start(self, key: str, variables: dict[str, Any] | None = None, expect: int = 201) -> Any:
        return self.api.start("staff", key, variables, expect=expect)

    def instance(self, instance_id: str) -> dict[str, Any]:
        response = self.api.get("admin", f"/api/v1/process-instances/{instance_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def open(self, instance_id: str) -> dict[str, list[dict[str, Any]]]:
        """Open tasks of the instance by element id (the task list through the API, not the projection)."""
        tasks = self.api.open_tasks("admin", instanceId=instance_id, pageSize=500)
        found: dict[str, list[dict[str, Any]]] = {}
        for task in tasks:
            found.setdefault(task["elementId"], []).append(task)
        return found

    def elements(self, instance_id: str) -> list[str]:
        return sorted(self.open(instance_id))

    def task(self, instance_id: str, element: str) -> dict[str, Any]:
        [task] = self.open(instance_id)[element]
        return task

    def complete(self, task: dict[str, Any] | str, variables: dict[str, Any] | None = None,
                 who: str = "staff", expect: int = 200) -> Any:
        task_id = task if isinstance(task, str) else task["id"]
        response = self.api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables or {}})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def finish(self, instance_id: str, element: str, variables: dict[str, Any] | None = None) -> Any:
        return self.complete(self.task(instance_id, element), variables)

    def task_rows(self, instance_id: str, status: str) -> list[dict[str, Any]]:
        response = self.api.get("admin", "/api/v1/tasks", query_string={"instanceId": instance_id,
                                                                         "status": status, "pageSize": 500})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]
