"""What the schemathesis run (bench/fuzz_api.py) found, kept fixed; CI runs the fuzzer itself after the suite."""

from __future__ import annotations

from typing import Any

import pytest

from server.api.openapi_document import document


def test_options_on_bulk_migrate_advertises_only_post(api: Any) -> None:
    response = api.client.options("/api/v1/process-instances/migrate", headers=api.headers("admin"))
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert api.get("admin", "/api/v1/process-instances/migrate").status_code == 405


@pytest.mark.parametrize("value", ["null", "maybe", "2"])
def test_latest_must_be_a_boolean(api: Any, value: str) -> None:
    response = api.get("admin", f"/api/v1/process-definitions?latest={value}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "latest"
    assert api.get("admin", "/api/v1/process-definitions?latest=false").status_code == 200


def test_allow_no_match_must_be_a_boolean(api: Any) -> None:
    response = api.post("admin", "/api/v1/messages", json={"name": "nobody_waits", "allowNoMatch": [None]})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "allowNoMatch"


def test_migrate_version_id_null_means_latest_and_is_documented(api: Any) -> None:
    schemas = document(api.app)["components"]["schemas"]
    assert "null" in schemas["BulkMigrateRequest"]["properties"]["versionId"]["type"]
    response = api.post("admin", "/api/v1/process-instances/migrate", json={"instanceIds": ["x"], "versionId": None})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["error"]["code"] == "not_found"


def test_every_operation_taking_input_documents_its_refusals(app: Any) -> None:
    for path, item in document(app)["paths"].items():
        for method, operation in item.items():
            if operation.get("parameters") or operation.get("requestBody"):
                assert "400" in operation["responses"], (method, path)
            if operation.get("requestBody"):
                assert "422" in operation["responses"], (method, path)


def test_a_record_file_under_a_record_id_that_is_no_number_is_a_404(api: Any) -> None:
    api.user("sam")
    found = api.get("sam", "/api/v1/records/a/null%2Cnull/files/e3e70682-c209-1cac-a29f-6fbed82c07cd")
    assert found.status_code == 404, found.get_data(as_text=True)


def test_patch_on_a_types_file_upload_is_a_405(api: Any) -> None:
    api.user("sam")
    refused = api.client.patch("/api/v1/records/a/files", headers=api.headers("sam"), data=b"{}")
    assert refused.status_code == 405 and "POST" in refused.headers["Allow"]


def test_an_empty_task_view_is_the_default_and_documented(api: Any, app: Any) -> None:
    api.user("sam")
    assert api.get("sam", "/api/v1/tasks?view=").status_code == 200
    [view] = [p for p in document(app)["paths"]["/api/v1/tasks"]["get"]["parameters"] if p.get("name") == "view"]
    assert "" in view["schema"]["enum"]
