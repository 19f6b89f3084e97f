"""Issue 16, defect 2: a connector's result is a way in too. One that breaks the limits is an incident of its
service task (naming the element and the field), never a saved state that can no longer be loaded."""

from __future__ import annotations

from typing import Any

from server import connectors
from server.connectors import ConnectorContext
from tests.conftest import run_due_jobs
from tests.connectors.test_service_tasks_e2e import EXTERNAL_TASK
from tests.hostile.conftest import nested


def test_a_connector_result_nested_too_deep_is_an_incident(app: Any, api: Any, tmp_path: Any) -> None:
    api.user("alice", groups=("employees",))

    @connectors.register("test-deep", parameters=set())
    def deep(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
        return {"answer": nested(500)}

    try:
        path = tmp_path / "deep_connector.bpmn"
        output = ('<bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="answer">${answer}'
                  "</camunda:outputParameter></camunda:inputOutput></bpmn:extensionElements>")
        path.write_text(EXTERNAL_TASK.replace("test-cancel", "test-deep")
                        .replace("<bpmn:incoming>f1</bpmn:incoming>", output + "<bpmn:incoming>f1</bpmn:incoming>"))
        api.deploy("modeler", path)
        instance_id = api.start("alice", "with_custom_connector")["id"]
        run_due_jobs(app)
    finally:
        connectors._REGISTRY.pop("test-deep")
    body = api.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()
    assert body["status"] == "error", body
    assert body["error"]["element"] == "call" and "answer.0" in body["error"]["message"]
    assert "nested more than 32 levels" in body["error"]["message"]
    # The state still loads: an admin can retry, or cancel the ordinary way.
    response = api.post("admin", f"/api/v1/process-instances/{instance_id}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
