"""Issue 16, "Zero 5xx on any input": the hand-made hostile corpus. Each request gets a clear 4xx (or works),
on SQLite and on PostgreSQL alike, and names the field it refuses."""

from __future__ import annotations

import io
from typing import Any

import pytest

from server.engine.shape_checks import MAX_CHAIN
from tests.conftest import FIXTURES
from tests.hostile.conftest import no_5xx

BIG = "99999999999999999999"  # beyond 64 bits


def error_of(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    no_5xx(response)
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.get_data(as_text=True)[:1000]
    return response.get_json()["error"]


@pytest.mark.parametrize("url", [
    "/api/v1/process-instances/a%00b",
    "/api/v1/process-instances/a%00b/history",
    "/api/v1/tasks/a%00b",
    "/api/v1/process-definitions/a%00b",
    "/api/v1/process-definitions/a%00b/xml",
    "/api/v1/files/a%00b",
    "/api/v1/process-instances?status=a%00b",
    "/api/v1/tasks?assignee=a%00b",
    "/api/v1/audit?kind=a%00b",
])
def test_nul_in_path_ids_and_query_values_is_a_400(team: Any, url: str) -> None:
    error = error_of(team.get("admin", url), 400)
    assert "NUL" in error["message"] and error["field"]


@pytest.mark.parametrize("url", [
    "/instances/a%00b", "/tasks/a%00b", "/start/a%00b", "/files/a%00b",
])
def test_nul_in_page_path_ids_is_a_4xx(team: Any, browser: Any, url: str) -> None:
    no_5xx(browser("alice").get(url))


def test_nul_in_json_bodies_is_refused_naming_the_field(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task = instance["openTasks"][0]["id"]
    cases = [
        ("/api/v1/process-definitions/two_tasks/start", {"businessKey": "a\x00b"}, "businessKey"),
        ("/api/v1/process-definitions/two_tasks/start", {"variables": {"a\x00": 1}}, "variables"),
        ("/api/v1/process-definitions/two_tasks/start", {"variables": {"a": ["x\x00"]}}, "a.0"),
        (f"/api/v1/tasks/{task}/complete", {"variables": {"note": "x\x00"}}, "note"),
        (f"/api/v1/process-instances/{instance['id']}/cancel", {"reason": "\x00"}, "reason"),
        ("/api/v1/messages", {"name": "m\x00", "variables": {}}, "name"),
        ("/api/v1/signals", {"name": "s", "variables": {"x": "\x00"}}, "x"),
    ]
    for url, body, field in cases:
        error = error_of(team.post("admin", url, json=body), 422)
        assert error["field"] == field, (url, error)
        assert field in error["fields"]
    patch = team.client.patch(f"/api/v1/tasks/{task}", headers=team.headers("admin"), json={"assignee": "a\x00"})
    assert error_of(patch, 422)["field"] == "assignee"
    assert team.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()["status"] == "running"


def test_lone_surrogates_never_reach_the_audit_hash(team: Any) -> None:
    raw = b'{"variables": {"note": "\\ud800"}, "businessKey": "ok"}'
    response = team.client.post("/api/v1/process-definitions/two_tasks/start", data=raw,
                                headers={**team.headers("alice"), "Content-Type": "application/json"})
    assert error_of(response, 422)["field"] == "note"
    raw = b'{"businessKey": "\\udfff"}'
    response = team.client.post("/api/v1/process-definitions/two_tasks/start", data=raw,
                                headers={**team.headers("alice"), "Content-Type": "application/json"})
    assert error_of(response, 422)["field"] == "businessKey"
    assert team.get("admin", "/api/v1/audit/verify").get_json()["ok"] is True


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_nan_and_infinity_in_variables_are_a_422(team: Any, literal: bytes) -> None:
    raw = b'{"variables": {"amount": ' + literal + b"}}"
    response = team.client.post("/api/v1/process-definitions/two_tasks/start", data=raw,
                                headers={**team.headers("alice"), "Content-Type": "application/json"})
    assert error_of(response, 422)["field"] == "amount"
    assert team.get("admin", "/api/v1/process-instances").get_json()["total"] == 0


@pytest.mark.parametrize("depth", [100, 10_000, 100_000])
def test_json_nested_very_deep_is_refused(team: Any, depth: int) -> None:
    raw = b'{"variables": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
    response = team.client.post("/api/v1/process-definitions/two_tasks/start", data=raw,
                                headers={**team.headers("alice"), "Content-Type": "application/json"})
    error_of(response, (400, 422))
    assert team.get("admin", "/api/v1/process-instances").get_json()["total"] == 0


def test_integers_beyond_64_bits_are_a_4xx(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    error_of(team.get("admin", f"/api/v1/process-definitions/two_tasks?version={BIG}"), (400, 404))
    error_of(team.get("admin", f"/api/v1/process-definitions/two_tasks/xml?version={BIG}"), (400, 404))
    error_of(team.post("alice", "/api/v1/process-definitions/two_tasks/start", json={"version": int(BIG)}),
             (400, 404))
    error_of(team.post("admin", f"/api/v1/process-instances/{instance['id']}/migrate", json={"versionId": int(BIG)}),
             (400, 404))
    error_of(team.post("admin", "/api/v1/process-instances/migrate",
                       json={"instanceIds": [instance["id"]], "versionId": int(BIG)}), (400, 404))
    error_of(team.post("admin", "/api/v1/decisions/x/evaluate", json={"version": int(BIG)}), (400, 404))


def test_integers_beyond_64_bits_in_page_paths_are_a_4xx(team: Any, browser: Any) -> None:
    admin = browser("admin")
    for url in (f"/admin/models/version/{BIG}", f"/admin/models/decision/{BIG}", f"/admin/users/{BIG}"):
        response = admin.get(url)
        assert response.status_code == 404, url
    alice = browser("alice")
    response = alice.post(f"/notifications/{BIG}/read", {}, from_page="/notifications")
    assert response.status_code == 404


@pytest.mark.parametrize("length, status", [(255, 201), (256, 422), (1_000_000, 422)])
def test_business_keys_have_the_same_limit_on_every_database(team: Any, length: int, status: int) -> None:
    response = team.post("alice", "/api/v1/process-definitions/two_tasks/start", json={"businessKey": "k" * length})
    no_5xx(response)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert response.get_json()["error"]["field"] == "businessKey"
    message = team.post("admin", "/api/v1/messages", json={"name": "m", "businessKey": "k" * 300})
    assert error_of(message, 422)["field"] == "businessKey"


def _reencoded(encoding: str, declaration: str, bom: bytes = b"") -> bytes:
    text = (FIXTURES / "bpmnio/simple.bpmn").read_text(encoding="utf-8")
    text = text.replace('encoding="UTF-8"', f'encoding="{declaration}"').replace('name="Start"', 'name="Départ ü"')
    return bom + text.encode(encoding)


@pytest.mark.parametrize("content", [
    _reencoded("utf-16", "UTF-16"),
    _reencoded("utf-16-le", "UTF-16", b"\xff\xfe"),
    _reencoded("utf-16-be", "UTF-16", b"\xfe\xff"),
    _reencoded("iso-8859-1", "ISO-8859-1"),
    _reencoded("cp1252", "windows-1252"),
    _reencoded("utf-8", "UTF-8", b"\xef\xbb\xbf"),
], ids=["utf16-bom", "utf16le", "utf16be", "latin1", "cp1252", "utf8-bom"])
def test_bpmn_files_in_other_encodings_deploy_and_run(team: Any, content: bytes) -> None:
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(content), "encoded.bpmn")},
                                content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    xml = team.get("admin", "/api/v1/process-definitions/bpmnio_simple/xml")
    assert xml.status_code == 200 and "Départ ü" in xml.get_data(as_text=True)
    team.start("admin", "bpmnio_simple")


def test_a_file_in_an_unknown_encoding_is_a_clear_4xx(team: Any) -> None:
    content = (FIXTURES / "bpmnio/simple.bpmn").read_bytes().replace(b'encoding="UTF-8"', b'encoding="x-nonsense"')
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(content), "odd.bpmn")}, content_type="multipart/form-data")
    error = error_of(response, (400, 422))
    assert error["file"] == "odd.bpmn"


def linear_bpmn(tasks: int, process_id: str = "long") -> bytes:
    nodes = ['<bpmn:startEvent id="s"/>']
    flows = []
    previous = "s"
    for i in range(tasks):
        nodes.append(f'<bpmn:task id="t{i}"/>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
        previous = f"t{i}"
    nodes.append('<bpmn:endEvent id="e"/>')
    flows.append(f'<bpmn:sequenceFlow id="fe" sourceRef="{previous}" targetRef="e"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">\n'
            f'<bpmn:process id="{process_id}" isExecutable="true">\n' + "\n".join(nodes + flows)
            + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


def test_a_3000_task_linear_process_is_a_clear_422_naming_where_the_chain_gets_too_long(team: Any) -> None:
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(linear_bpmn(3000)), "long.bpmn")},
                                content_type="multipart/form-data")
    error = error_of(response, 422)
    assert error["file"] == "long.bpmn" and error["element"] == f"t{MAX_CHAIN - 1}" and error["line"] == MAX_CHAIN + 4
    assert str(MAX_CHAIN) in error["message"] and "RecursionError" not in error["message"]


def test_a_chain_at_the_limit_deploys_and_runs(team: Any) -> None:
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(linear_bpmn(MAX_CHAIN - 2)), "long.bpmn")},
                                content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)[:1000]
    assert team.start("admin", "long")["status"] == "completed"


@pytest.mark.parametrize("process_id", ["x&lt;y", "a b", "1abc", "a/b", "a:b", "x" * 256])
def test_process_ids_must_be_ncnames_that_fit_in_urls(team: Any, process_id: str) -> None:
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(linear_bpmn(1, process_id)), "ids.bpmn")},
                                content_type="multipart/form-data")
    error = error_of(response, 422)
    assert error["file"] == "ids.bpmn" and error["line"] == 3 and error["element"]
    assert team.get("admin", "/api/v1/process-definitions").get_json()["total"] == 1


def test_error_fields_are_always_an_object(team: Any) -> None:
    instance = team.start("alice", "two_tasks")
    task = instance["openTasks"][0]["id"]
    response = team.client.post(f"/api/v1/tasks/{task}/files", headers=team.headers("alice"), data={},
                                content_type="multipart/form-data")
    error = error_of(response, 400)
    assert isinstance(error.get("fields", {}), dict), error


@pytest.mark.parametrize("method, url", [
    ("put", "/api/v1/process-definitions"),
    ("delete", "/api/v1/tasks/x"),
    ("get", "/api/v1/messages"),
    ("patch", "/api/v1/process-instances/x/cancel"),
    ("put", "/inbox"),
])
def test_405_carries_an_allow_header(team: Any, method: str, url: str) -> None:
    response = getattr(team.client, method)(url, headers=team.headers("admin"))
    assert response.status_code == 405
    assert response.headers.get("Allow"), response.headers
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("name", ["a\x00b.bpmn", "x" * 300 + ".bpmn"])
def test_deployed_file_names_must_be_storable(team: Any, name: str) -> None:
    content = (FIXTURES / "bpmnio/simple.bpmn").read_bytes()
    response = team.client.post("/api/v1/deployments", headers=team.headers("modeler"),
                                data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    error = error_of(response, 422)
    assert error["file"]
    assert team.get("admin", "/api/v1/process-definitions").get_json()["total"] == 1


@pytest.mark.parametrize("raw", [
    b'{"variables": {"n": ' + b"1" * 5000 + b"}}",  # more digits than Python converts
    b'{"variables": {"s": "\xff\xfe"}}',  # not UTF-8
    b'{"variables": {"a": 1}, "variables": [1]}',  # the last duplicate wins: not an object
    b"[1, 2]",
])
def test_bodies_that_are_not_usable_json_are_a_400(team: Any, raw: bytes) -> None:
    response = team.client.post("/api/v1/process-definitions/two_tasks/start", data=raw,
                                headers={**team.headers("alice"), "Content-Type": "application/json"})
    error_of(response, 400)
    assert team.get("admin", "/api/v1/process-instances").get_json()["total"] == 0
