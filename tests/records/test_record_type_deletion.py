"""Deleting a record type: refused while records, processes or other types use it (naming them), otherwise the
table is dropped, the versions kept as the archive, audited; the key can be saved again."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.records.test_record_processes import FIXTURES

PART = {"key": "part", "name": {"en": "Part", "zh": "零件"},
        "fields": [{"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text"}]}


def _delete(api: Api, who: str, key: str) -> Any:
    return api.client.delete(f"/api/v1/record-types/{key}", headers=api.headers(who))


def test_delete_refuses_while_records_exist_then_drops_and_archives(api: Api) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    made = api.post("admin", "/api/v1/records/part", json={"fields": {"code": "A"}}).get_json()
    assert _delete(api, "modeler", "part").status_code == 403
    refused = _delete(api, "admin", "part")
    assert refused.status_code == 409 and f"ids {made['id']}" in refused.get_json()["error"]["message"]
    assert api.client.delete(f"/api/v1/records/part/{made['id']}", headers=api.headers("admin")).status_code == 204
    deleted = _delete(api, "admin", "part")
    assert deleted.status_code == 200, deleted.get_json()
    assert api.get("admin", "/api/v1/record-types/part").status_code == 404
    assert api.get("admin", "/api/v1/records/part").status_code == 404
    kinds = [e["kind"] for e in api.get("admin", "/api/v1/audit", query_string={"kind": "record_type."})
             .get_json()["items"]]
    assert "record_type.deleted" in kinds
    again = api.post("modeler", "/api/v1/record-types", json=PART)
    assert again.status_code == 201 and again.get_json()["version"] == 2  # after the archived version
    assert api.post("admin", "/api/v1/records/part", json={"fields": {"code": "B"}}).status_code == 201


def test_delete_refuses_while_processes_or_types_use_it(api: Api) -> None:
    api.deploy("modeler", f"{FIXTURES}/work_order.record.json", f"{FIXTURES}/wo_new.bpmn")
    refused = _delete(api, "admin", "work_order")
    assert refused.status_code == 409
    assert "process 'wo_new' (element 'fill')" in refused.get_json()["error"]["message"]
    related = {**PART, "key": "step", "fields": [{"key": "order", "label": {"en": "Order", "zh": "工单"},
                                                  "type": "relation", "target": "part"}]}
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    assert api.post("modeler", "/api/v1/record-types", json=related).status_code == 201
    used = _delete(api, "admin", "part")
    assert used.status_code == 409 and "record type 'step' (field 'order')" in used.get_json()["error"]["message"]
