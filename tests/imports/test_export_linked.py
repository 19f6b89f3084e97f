"""Export of types with lookups, rollups over related records and computed fields: the values the record
JSON shows, as cells (never a 500); a lookup the exporter may not read through is left out."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from tests.records.linked import make, types


@pytest.fixture
def linked(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    types(api)
    north = make(api, "sam", "customer", name="North Ltd", region="north")
    make(api, "sam", "order", customer=north["id"], due="2026-04-01",
         lines=[{"product": "Oak table", "qty": 2, "amount": "900.00"}, {"product": "Chair", "amount": 150}])
    make(api, "sam", "order", customer=north["id"], lines=[{"product": "Stool", "amount": "20.50"}])
    return api


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_json()
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_carries_lookups_rollups_and_formulas(linked: Any) -> None:
    orders = _csv(linked.get("admin", "/api/v1/records/order/export", query_string={"format": "csv",
                                                                                     "sort": "id"}))
    assert [o["Customer region"] for o in orders] == ["North", "North"]  # the lookup, as its option label
    assert orders[0]["Total"] == "1050.00" and orders[0]["Tax"] == "136.50" and orders[0]["Big"] == "true"
    customers = _csv(linked.get("admin", "/api/v1/records/customer/export", query_string={"format": "csv"}))
    assert customers[0]["Orders"] == "2" and customers[0]["Revenue"] == "1070.50"


def test_xlsx_export_carries_lookups_and_rollups(linked: Any, tmp_path: Path) -> None:
    for type_key, fields, expected in (("order", "region,total,tax", ["North", 1050.0, 136.5]),
                                       ("customer", "name,orders,revenue", ["North Ltd", 2, 1070.5])):
        response = linked.get("admin", f"/api/v1/records/{type_key}/export", query_string={"fields": fields,
                                                                                           "sort": "id"})
        assert response.status_code == 200, response.get_json()
        path = tmp_path / f"{type_key}.xlsx"
        path.write_bytes(response.data)
        rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        assert rows[1][1:] == expected


def test_a_lookup_through_a_type_the_exporter_cannot_read_is_left_out(linked: Any) -> None:
    response = linked.post("modeler", "/api/v1/record-types", json={
        "key": "note", "name": {"en": "Note", "zh": "备注"},
        "fields": [{"key": "customer", "label": {"en": "Customer", "zh": "客户"}, "type": "relation",
                    "target": "customer"},
                   {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "lookup",
                    "relation": "customer", "field": "region"}],
        "permissions": [{"users": ["cleo"], "actions": ["read", "create", "export"]}]})
    assert response.status_code == 201, response.get_json()
    linked.user("cleo", roles=("worker",))
    assert linked.post("cleo", "/api/v1/records/note", json={"fields": {}}).status_code == 201
    rows = _csv(linked.get("cleo", "/api/v1/records/note/export", query_string={"format": "csv"}))
    assert list(rows[0]) == ["ID", "Customer"]
    refused = linked.get("cleo", "/api/v1/records/note/export", query_string={"fields": "region"})
    assert refused.status_code == 400 and "region" in refused.get_json()["error"]["message"]
