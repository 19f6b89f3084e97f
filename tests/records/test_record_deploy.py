"""Record types deployed as *.record.json files beside BPMN: POST /deployments, `boms deploy`, the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.services.deployments import UploadedFile, deploy
from tests.records.conftest import contract

ROOT = Path(__file__).resolve().parents[2]


def _upload(api: Any, who: str, files: list[tuple[str, bytes]]) -> Any:
    import io

    return api.client.post("/api/v1/deployments", headers=api.headers(who),
                           data={"file": [(io.BytesIO(content), name) for name, content in files]},
                           content_type="multipart/form-data")


def test_a_record_type_file_deploys_beside_bpmn(api: Any) -> None:
    bpmn = (ROOT / "tests/fixtures/camunda/two_user_tasks.bpmn").read_bytes()
    definition = json.dumps({"recordType": contract()}).encode()
    response = _upload(api, "admin", [("two_user_tasks.bpmn", bpmn), ("contract.record.json", definition)])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["recordTypes"] == [{"key": "contract", "version": 1, "name": "Contract",
                                    "file": "contract.record.json", "created": True}]
    assert body["processes"][0]["key"] == "two_tasks"
    again = _upload(api, "admin", [("contract.record.json", definition)])
    assert again.status_code == 200 and again.get_json()["recordTypes"][0]["created"] is False
    assert api.get("admin", "/api/v1/record-types/contract").get_json()["version"] == 1


def test_a_bad_record_type_file_is_refused_naming_it_and_nothing_is_deployed(api: Any) -> None:
    bpmn = (ROOT / "tests/fixtures/camunda/two_user_tasks.bpmn").read_bytes()
    bad = contract()
    bad["fields"][0].update(type="attachment", accept=["not a kind"])
    response = _upload(api, "admin", [("two_user_tasks.bpmn", bpmn),
                                      ("contract.record.json", json.dumps(bad).encode())])
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["file"] == "contract.record.json" and "accept" in error["message"]
    assert api.get("admin", "/api/v1/record-types").get_json()["items"] == []
    assert api.get("admin", "/api/v1/process-definitions").get_json()["items"] == []
    broken = _upload(api, "admin", [("x.record.json", b"{not json")])
    assert broken.status_code == 422 and broken.get_json()["error"]["file"] == "x.record.json"
    nul = contract()
    nul["name"]["zh"] = "合\u0000同"
    refused = _upload(api, "admin", [("nul.record.json", json.dumps(nul).encode())])
    assert refused.status_code == 422 and refused.get_json()["error"]["file"] == "nul.record.json"
    named = _upload(api, "admin", [("bad\x00.record.json", json.dumps(contract()).encode())])
    assert named.status_code == 422, named.get_json()


def test_a_form_json_is_still_a_form_resource(api: Any) -> None:
    bpmn = (ROOT / "tests/fixtures/camunda/two_user_tasks.bpmn").read_bytes()
    response = _upload(api, "admin", [("two_user_tasks.bpmn", bpmn), ("some-form.json", b"{}")])
    assert response.status_code == 201, response.get_json()
    assert "recordTypes" not in response.get_json()


def test_the_demo_record_types_deploy(app: Any) -> None:
    files = [UploadedFile(p.name, p.read_bytes()) for p in sorted((ROOT / "records").glob("*.record.json"))]
    with app.extensions["boms_db"].write() as session:
        summary = deploy(session, files, "test", False)
    assert sorted(t["key"] for t in summary["recordTypes"]) == ["contract", "customer", "lead", "material", "order",
                                                                "project", "work_order"]
    assert summary["processes"] == [] and summary["changed"] is True


def test_boms_deploy_takes_a_folder_of_record_types(tmp_path: Path) -> None:
    from tests.server.test_cli import boms

    instance = tmp_path / "instance"
    boms(instance, "db", "upgrade")
    out = boms(instance, "deploy", str(ROOT / "records")).stdout
    assert "record type contract version 1 (deployed)" in out and "record type customer version 1" in out
    again = boms(instance, "deploy", str(ROOT / "records" / "customer.record.json")).stdout
    assert "record type customer version 1 (unchanged)" in again


def test_demo_records_are_generated_through_the_record_path(api: Any) -> None:
    from server.records.demo_data import generate

    files = [UploadedFile(p.name, p.read_bytes()) for p in sorted((ROOT / "records").glob("*.record.json"))]
    database = api.app.extensions["boms_db"]
    with database.write() as session:
        deploy(session, files, "test", False)
    assert generate(database.write, 3) == {"customer": 3, "contract": 3, "material": 3, "lead": 3, "order": 3,
                                           "work_order": 3}
    assert generate(database.write, 2)["order"] == 2  # again: more, numbered after the first
    orders = api.get("admin", "/api/v1/records/order", query_string={"sort": "id"}).get_json()["items"]
    assert [o["fields"]["number"][-5:] for o in orders] == ["00001", "00002", "00003", "00004", "00005"]
    assert all(o["fields"]["customer_name"] and o["fields"]["total"] != "0.00" for o in orders)
    works = api.get("admin", "/api/v1/records/work_order").get_json()["items"]
    assert all(w["fields"]["materials"] and w["fields"]["number"].startswith("WO-") for w in works)
    low = api.get("admin", "/api/v1/records/material", query_string={"filter": "below_safety"}).get_json()
    assert all(m["fields"]["below_safety"] for m in low["items"])
