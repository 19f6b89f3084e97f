"""The OpenAPI document: valid, public, lists exactly the blueprint's routes, and matches real responses."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:boms:openapi"
METHODS = {"get", "put", "post", "delete", "patch"}


def pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        node: Any = doc
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        item = node
    return item


def strict(node: Any) -> Any:
    """Objects with listed properties and no additionalProperties say allow no others: responses carry
    no field the document does not name."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


class Contract:
    """Validates responses against the documented response schemas, in strict mode."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        resource = Resource.from_contents(strict(copy.deepcopy(doc)), default_specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE, resource)

    def check(self, response: Any, method: str, path: str) -> Any:
        operation = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method.upper()} {path} answered {status}, which is not documented: {response.get_data(True)}")
        documented = operation["responses"][status]
        where = ["paths", path, method, "responses", status]
        if "$ref" in documented:
            where = documented["$ref"].removeprefix("#/").split("/")
            documented = resolve(self.doc, documented)
        media = response.mimetype
        assert media in documented["content"], f"{method.upper()} {path} {status}: {media} is not documented"
        if media != "application/json":
            return response.get_data(as_text=True)
        body = response.get_json()
        schema = {"$ref": BASE + "#" + pointer(*where, "content", media, "schema")}
        validator = Draft202012Validator(schema, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, f"{method.upper()} {path} {status}: {errors}"
        return body


@pytest.fixture
def doc(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")  # no token: the contract is public
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        **doc["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_every_route_is_documented_and_nothing_else(app: Any, doc: dict[str, Any]) -> None:
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/v1/", "/engine-rest/")):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            served.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {path: set(item) & METHODS for path, item in doc["paths"].items()}
    assert documented == served
    for path, item in doc["paths"].items():
        for method in set(item) & METHODS:
            params = [resolve(doc, p) for p in item[method].get("parameters", [])]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == set(re.findall(r"{([^}]+)}", path)), f"{method} {path}"


def query_params(doc: dict[str, Any], path: str) -> set[str]:
    return {p["name"] for p in map(lambda p: resolve(doc, p), doc["paths"][path]["get"]["parameters"])
            if p["in"] == "query"}


def test_documented_query_parameters(doc: dict[str, Any]) -> None:
    assert query_params(doc, "/api/v1/process-definitions") == {"key", "latest"}
    assert query_params(doc, "/api/v1/process-definitions/{key}") == {"version"}
    assert query_params(doc, "/api/v1/process-instances") == {
        "status", "key", "businessKey", "startedBy", "startedAfter", "startedBefore", "page", "pageSize", "cursor"}
    assert query_params(doc, "/api/v1/tasks") == {
        "assignee", "candidateGroup", "candidateUser", "processKey", "instanceId", "view", "status", "sort",
        "order", "page", "pageSize", "cursor"}
    assert query_params(doc, "/api/v1/audit") == {
        "instance", "actor", "kind", "task", "after", "before", "page", "pageSize", "cursor"}
    statuses = doc["components"]["schemas"]["ProcessInstance"]["properties"]["status"]["enum"]
    assert statuses == ["running", "completed", "cancelled", "error", "suspended"]


def test_a_real_flow_matches_the_documented_schemas(api: Any, doc: dict[str, Any]) -> None:
    c = Contract(doc)
    api.user("sam", groups=("employees",))
    api.user("pat", groups=("others",))

    deployed = c.check(api.deploy("modeler", "camunda/two_user_tasks.bpmn"), "post", "/api/v1/deployments")
    assert deployed["changed"] is True
    again = c.check(api.deploy("modeler", "camunda/two_user_tasks.bpmn", expect=200),
                    "post", "/api/v1/deployments")
    assert again["id"] is None
    c.check(api.get("sam", "/api/v1/process-definitions", query_string={"latest": "true"}),
            "get", "/api/v1/process-definitions")
    c.check(api.get("sam", "/api/v1/process-definitions/two_tasks", query_string={"version": 1}),
            "get", "/api/v1/process-definitions/{key}")
    xml = c.check(api.get("sam", "/api/v1/process-definitions/two_tasks/xml"),
                  "get", "/api/v1/process-definitions/{key}/xml")
    assert "two_tasks" in xml

    started = api.post("sam", "/api/v1/process-definitions/two_tasks/start",
                       json={"variables": {"amount": 3}, "businessKey": "BK-1"})
    instance = c.check(started, "post", "/api/v1/process-definitions/{key}/start")
    assert started.status_code == 201 and instance["status"] == "running"

    tasks = c.check(api.get("sam", "/api/v1/tasks", query_string={"candidateGroup": "employees", "sort": "-due"}),
                    "get", "/api/v1/tasks")
    assert tasks["total"] == 1
    task_id = tasks["items"][0]["id"]
    task = c.check(api.get("sam", f"/api/v1/tasks/{task_id}"), "get", "/api/v1/tasks/{task_id}")
    assert task["form"]["type"] == "object" and "note" in task["form"]["properties"]
    c.check(api.post("sam", f"/api/v1/tasks/{task_id}/claim"), "post", "/api/v1/tasks/{task_id}/claim")
    c.check(api.post("sam", f"/api/v1/tasks/{task_id}/unclaim"), "post", "/api/v1/tasks/{task_id}/unclaim")
    done = c.check(api.post("sam", f"/api/v1/tasks/{task_id}/complete", json={"variables": {"note": "ok"}}),
                   "post", "/api/v1/tasks/{task_id}/complete")
    assert done["status"] == "completed"

    iid = instance["id"]
    c.check(api.get("sam", "/api/v1/process-instances", query_string={"status": "running"}),
            "get", "/api/v1/process-instances")
    detail = c.check(api.get("sam", f"/api/v1/process-instances/{iid}"),
                     "get", "/api/v1/process-instances/{instance_id}")
    assert [t["elementId"] for t in detail["openTasks"]] == ["task_b"]
    c.check(api.get("sam", f"/api/v1/process-instances/{iid}/history"),
            "get", "/api/v1/process-instances/{instance_id}/history")
    cancelled = c.check(api.post("sam", f"/api/v1/process-instances/{iid}/cancel", json={"reason": "test"}),
                        "post", "/api/v1/process-instances/{instance_id}/cancel")
    assert cancelled["status"] == "cancelled"

    c.check(api.get("auditor", "/api/v1/audit", query_string={"instance": iid, "pageSize": 3}),
            "get", "/api/v1/audit")
    assert c.check(api.get("auditor", "/api/v1/audit/verify"), "get", "/api/v1/audit/verify")["ok"] is True

    api.deploy("modeler", "dmn/approval_route.dmn")
    decided = c.check(api.post("sam", "/api/v1/decisions/approval_route/evaluate",
                               json={"variables": {"amount": 100}}), "post", "/api/v1/decisions/{key}/evaluate")
    assert decided["result"] == {"route": "manager"}


def test_error_responses_match_the_documented_error_schema(api: Any, doc: dict[str, Any]) -> None:
    c = Contract(doc)
    api.user("sam", groups=("employees",))
    api.user("pat", groups=("others",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    iid = api.start("sam", "two_tasks")["id"]
    task_id = api.open_tasks("sam")[0]["id"]

    cases = [
        (api.client.get("/api/v1/tasks"), "get", "/api/v1/tasks", 401),
        (api.get("sam", "/api/v1/tasks", query_string={"status": "bogus"}), "get", "/api/v1/tasks", 400),
        (api.get("sam", "/api/v1/process-instances", query_string={"startedAfter": "x"}),
         "get", "/api/v1/process-instances", 400),
        (api.get("sam", "/api/v1/audit"), "get", "/api/v1/audit", 403),
        (api.post("modeler", "/api/v1/process-definitions/two_tasks/start", json={}),
         "post", "/api/v1/process-definitions/{key}/start", 403),
        (api.get("sam", "/api/v1/process-definitions/nope"), "get", "/api/v1/process-definitions/{key}", 404),
        (api.get("pat", f"/api/v1/tasks/{task_id}"), "get", "/api/v1/tasks/{task_id}", 403),
        (api.post("sam", f"/api/v1/tasks/{task_id}/complete", json={"variables": {"bogus": 1}}),
         "post", "/api/v1/tasks/{task_id}/complete", 422),
        (api.post("sam", f"/api/v1/tasks/{task_id}/complete", json=[1]),
         "post", "/api/v1/tasks/{task_id}/complete", 400),
        (api.deploy("modeler", "bad/malformed.bpmn", expect=None), "post", "/api/v1/deployments", 422),
        (api.post("sam", "/api/v1/decisions/nope/evaluate", json={}), "post", "/api/v1/decisions/{key}/evaluate",
         404),
    ]
    for response, method, path, status in cases:
        assert response.status_code == status, (path, response.get_json())
        body = c.check(response, method, path)
        assert set(body) == {"error"}

    api.post("sam", f"/api/v1/process-instances/{iid}/cancel")
    conflict = api.post("sam", f"/api/v1/process-instances/{iid}/cancel")
    assert conflict.status_code == 409
    c.check(conflict, "post", "/api/v1/process-instances/{instance_id}/cancel")
    claim = api.post("sam", f"/api/v1/tasks/{task_id}/claim")
    assert claim.status_code == 409
    c.check(claim, "post", "/api/v1/tasks/{task_id}/claim")

    big = api.client.post("/api/v1/deployments", headers=api.headers("modeler"), content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.bpmn")})
    assert big.status_code == 413
    c.check(big, "post", "/api/v1/deployments")
