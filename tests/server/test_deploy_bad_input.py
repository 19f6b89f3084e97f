"""Bad uploads and bad API input: each is refused with a 4xx naming the culprit, and nothing is stored."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import DecisionVersion, Deployment, ProcessVersion

FIXTURES = Path(__file__).parent.parent / "fixtures"


def stored(api: Any) -> dict[str, int]:
    """Everything a deployment could leave behind, as seen by the API and in the database."""
    definitions = api.get("admin", "/api/v1/process-definitions").get_json()["total"]
    audit = api.get("admin", "/api/v1/audit", query_string={"kind": "deployment.created"}).get_json()["total"]
    with api.app.extensions["boms_db"].read() as session:
        counts = {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
                  for m in (Deployment, ProcessVersion, DecisionVersion)}
    return {"definitions": definitions, "deployment.created": audit, **counts}


@pytest.fixture
def seeded(api: Any) -> Any:
    """One good deployment already in place, so 'unchanged' is not trivially zero."""
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.before = stored(api)
    assert api.before["definitions"] == 1 and api.before["deployment.created"] == 1
    return api


def rejected(api: Any, status: int, *paths: str | Path) -> dict[str, Any]:
    response = api.deploy("modeler", *paths, expect=status)
    assert stored(api) == api.before
    body = response.get_json()
    assert body["error"]["message"], body
    return body["error"]


def test_malformed_xml_names_the_file_and_line(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/malformed.bpmn")
    assert error["code"] == "deploy_error"
    assert "malformed.bpmn" in error["message"] and error["file"] == "malformed.bpmn"
    assert "well-formed" in error["message"]
    assert isinstance(error["line"], int) and error["line"] >= 8


def test_xxe_is_refused(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/xxe.bpmn")
    assert "xxe.bpmn" in error["message"] and "DOCTYPE" in error["message"]
    assert "root:" not in error["message"]  # /etc/passwd was never read


def test_billion_laughs_is_refused(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/billion_laughs.bpmn")
    assert "billion_laughs.bpmn" in error["message"] and "DOCTYPE" in error["message"]
    assert error["file"] == "billion_laughs.bpmn"


@pytest.mark.parametrize("name", ["xxe", "billion_laughs"])
def test_entity_tricks_in_utf16_are_refused_too(seeded: Any, tmp_path: Path, name: str) -> None:
    text = (FIXTURES / f"bad/{name}.bpmn").read_text().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / f"{name}16.bpmn"
    path.write_bytes(text.encode("utf-16"))
    error = rejected(seeded, 422, path)
    assert error["file"] == f"{name}16.bpmn" and f"{name}16.bpmn" in error["message"]


def test_oversized_upload_is_413_json(seeded: Any) -> None:
    # The test app allows 2 MB (max_upload_bytes); production defaults to 10 MB (BOMS_MAX_UPLOAD_BYTES).
    # A 50 MB upload is refused the same way; 3 MB is enough to cross the test limit.
    good = (FIXTURES / "bpmnio/simple.bpmn").read_bytes()
    big = good.replace(b"</bpmn:definitions>", b"<!--" + b"x" * (3 * 1024 * 1024) + b"--></bpmn:definitions>")
    response = seeded.client.post("/api/v1/deployments", headers=seeded.headers("modeler"),
                                  data={"file": (io.BytesIO(big), "big.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large" and "BOMS_MAX_UPLOAD_BYTES" in error["message"]
    assert stored(seeded) == seeded.before


def test_no_executable_process(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/not_executable.bpmn")
    assert "not_executable.bpmn" in error["message"] and "isExecutable" in error["message"]


def test_not_bpmn(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/not_bpmn.bpmn")
    assert "not_bpmn.bpmn" in error["message"] and "not a BPMN" in error["message"]
    assert "html" in error["message"]


def test_missing_decision(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/missing_dmn.bpmn")
    assert error["file"] == "missing_dmn.bpmn" and error["element"] == "decide"
    assert "'decide'" in error["message"] and "no_such_decision" in error["message"]
    assert error["line"] == 7


def test_bad_expression(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/bad_expression.bpmn")
    assert error["file"] == "bad_expression.bpmn" and error["element"] == "flow_bad"
    assert "flow_bad" in error["message"] and "bad_expression.bpmn" in error["message"]


def test_script_task_is_refused_when_scripts_are_disabled(seeded: Any) -> None:
    assert seeded.app.config["BOMS"].allow_python_scripts is False
    error = rejected(seeded, 422, "bad/script_task.bpmn")
    assert error["element"] == "script_1" and error["file"] == "script_task.bpmn"
    assert "script_1" in error["message"] and "BOMS_ALLOW_PYTHON_SCRIPTS" in error["message"]


def test_bad_dmn_names_the_rule_entry(seeded: Any) -> None:
    error = rejected(seeded, 422, "bad/bad_dmn.dmn")
    assert error["file"] == "bad_dmn.dmn" and "bad_dmn.dmn" in error["message"]
    assert error["element"] == "UnaryTests_broken" and "UnaryTests_broken" in error["message"]
    assert "rule 1" in error["message"]


def test_wrong_file_type(seeded: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a process")
    error = rejected(seeded, 422, notes)
    assert error["file"] == "notes.txt" and "notes.txt" in error["message"] and ".bpmn" in error["message"]


def test_one_bad_file_rejects_the_whole_upload(seeded: Any) -> None:
    error = rejected(seeded, 422, "bpmnio/simple.bpmn", "bad/bad_expression.bpmn")
    assert error["file"] == "bad_expression.bpmn"
    assert seeded.get("admin", "/api/v1/process-definitions/bpmnio_simple").status_code == 404


def test_no_file_at_all(seeded: Any) -> None:
    response = seeded.client.post("/api/v1/deployments", headers=seeded.headers("modeler"),
                                  data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "multipart/form-data" in response.get_json()["error"]["message"]
    assert stored(seeded) == seeded.before


def test_staff_may_not_deploy(seeded: Any) -> None:
    response = seeded.deploy("alice", "bpmnio/simple.bpmn", expect=403)
    assert "modeler" in response.get_json()["error"]["message"]
    assert stored(seeded) == seeded.before


@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Basic YWRtaW46YWRtaW4="])
def test_deploy_needs_a_valid_token(seeded: Any, header: str | None) -> None:
    content = (FIXTURES / "bpmnio/simple.bpmn").read_bytes()
    headers = {"Authorization": header} if header else {}
    response = seeded.client.post("/api/v1/deployments", headers=headers,
                                  data={"file": (io.BytesIO(content), "simple.bpmn")},
                                  content_type="multipart/form-data")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert stored(seeded) == seeded.before


# --- bad input to the rest of the API --------------------------------------------------------------


def instance_count(api: Any) -> int:
    return api.get("admin", "/api/v1/process-instances").get_json()["total"]


def test_start_with_invalid_json_body(seeded: Any) -> None:
    response = seeded.client.post("/api/v1/process-definitions/two_tasks/start", headers=seeded.headers("alice"),
                                  data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]["message"]
    assert instance_count(seeded) == 0


@pytest.mark.parametrize("variables", [[1, 2], "amount=5", 7])
def test_start_with_variables_not_an_object(seeded: Any, variables: Any) -> None:
    response = seeded.post("alice", "/api/v1/process-definitions/two_tasks/start", json={"variables": variables})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "variables"
    assert instance_count(seeded) == 0


def test_start_with_a_business_key_that_is_not_text(seeded: Any) -> None:
    response = seeded.post("alice", "/api/v1/process-definitions/two_tasks/start",
                           json={"variables": {}, "businessKey": 17})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "businessKey"
    assert instance_count(seeded) == 0


def test_start_with_wrong_variable_type_for_the_start_form(seeded: Any) -> None:
    seeded.deploy("modeler", "camunda/assignment.bpmn")
    response = seeded.post("alice", "/api/v1/process-definitions/assignment/start",
                           json={"variables": {"group": 42, "due": "2030-01-01T00:00:00Z"}})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"group"} and "text" in error["fields"]["group"]
    assert instance_count(seeded) == 0


def test_complete_with_an_unknown_field(seeded: Any) -> None:
    [task] = seeded.start("alice", "two_tasks")["openTasks"]
    response = seeded.post("alice", f"/api/v1/tasks/{task['id']}/complete",
                           json={"variables": {"note": "fine", "bogus": 1}})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"bogus"} and "not a field" in fields["bogus"]
    assert seeded.get("alice", f"/api/v1/tasks/{task['id']}").get_json()["status"] == "open"


def test_unknown_process_key(seeded: Any) -> None:
    response = seeded.post("alice", "/api/v1/process-definitions/no_such_process/start", json={"variables": {}})
    assert response.status_code == 404
    assert "no_such_process" in response.get_json()["error"]["message"]
    assert seeded.get("alice", "/api/v1/process-definitions/no_such_process").status_code == 404


@pytest.mark.parametrize("action", ["GET", "claim", "unclaim", "complete"])
def test_unknown_task_id(seeded: Any, action: str) -> None:
    url = "/api/v1/tasks/00000000-0000-0000-0000-000000000000"
    response = seeded.get("alice", url) if action == "GET" else seeded.post("alice", f"{url}/{action}", json={})
    assert response.status_code == 404
    assert "00000000-0000-0000-0000-000000000000" in response.get_json()["error"]["message"]


# --- redeploying -----------------------------------------------------------------------------------


def test_identical_content_is_not_a_new_version(seeded: Any) -> None:
    again = seeded.deploy("modeler", "camunda/two_user_tasks.bpmn", expect=200).get_json()
    assert again["changed"] is False and again["id"] is None
    assert [(p["key"], p["version"], p["created"]) for p in again["processes"]] == [("two_tasks", 1, False)]
    assert stored(seeded) == seeded.before


def test_changed_content_is_version_2(seeded: Any, tmp_path: Path) -> None:
    changed = tmp_path / "two_user_tasks.bpmn"
    changed.write_bytes((FIXTURES / "camunda/two_user_tasks.bpmn").read_bytes().replace(b'name="Second"',
                                                                                       b'name="Second step"'))
    body = seeded.deploy("modeler", changed, expect=201).get_json()
    assert body["changed"] is True
    assert [(p["key"], p["version"], p["created"]) for p in body["processes"]] == [("two_tasks", 2, True)]
    latest = seeded.get("alice", "/api/v1/process-definitions/two_tasks").get_json()
    assert latest["version"] == 2 and latest["latest"] is True
    assert latest["userTasks"]["task_b"]["name"] == "Second step"
    assert seeded.get("alice", "/api/v1/process-definitions/two_tasks?version=1").get_json()["latest"] is False
