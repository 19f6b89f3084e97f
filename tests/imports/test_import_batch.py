"""Imports write through the records' batch path: auto-numbers and formulas are filled, formulas that fail
are named per row, and a mapping onto a computed field is refused."""

from __future__ import annotations

from typing import Any

from tests.imports.conftest import csv_bytes, finished, upload

TICKET = {"key": "ticket", "name": {"en": "Ticket", "zh": "工单"},
          "fields": [{"key": "number", "label": {"en": "No.", "zh": "编号"}, "type": "auto_number",
                      "pattern": "T-{0000}"},
                     {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text"},
                     {"key": "qty", "label": {"en": "Qty", "zh": "数量"}, "type": "integer"},
                     {"key": "unit", "label": {"en": "Unit price", "zh": "单价"}, "type": "integer"},
                     {"key": "total", "label": {"en": "Total", "zh": "合计"}, "type": "formula",
                      "expression": "qty * unit", "resultType": "integer"},
                     {"key": "share", "label": {"en": "Share", "zh": "占比"}, "type": "formula",
                      "expression": "100 / qty", "resultType": "decimal", "scale": 2}],
          "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "import"]}]}


def _ticket_api(api: Any) -> Any:
    assert api.post("modeler", "/api/v1/record-types", json=TICKET).status_code == 201
    api.user("sam", roles=("staff",))
    return api


def _tickets(api: Any) -> list[dict[str, Any]]:
    body = api.get("sam", "/api/v1/records/ticket", query_string={"sort": "id", "pageSize": 100}).get_json()
    return [item["fields"] for item in body["items"]]


def test_an_import_numbers_and_computes_each_row(api: Any) -> None:
    _ticket_api(api)
    response = upload(api, csv_bytes([["title", "qty", "unit"], ["Chair", "2", "30"], ["Desk", "4", "100"]]),
                      type_key="ticket")
    assert response.status_code == 202, response.get_json()
    body = finished(api, response.get_json()["id"])
    assert body["status"] == "done" and body["inserted"] == 2, body
    rows = _tickets(api)
    assert [(r["number"], r["title"], r["total"]) for r in rows] == [("T-0001", "Chair", 60), ("T-0002", "Desk", 400)]
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0003"  # the counter moved by the import's rows, no gap


def test_a_formula_failing_on_a_row_refuses_the_file_in_abort_mode(api: Any) -> None:
    _ticket_api(api)
    rows = [["title", "qty", "unit"], ["Fine", "2", "3"], ["Broken", "0", "3"], ["Fine too", "1", "1"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="ticket").get_json()["id"])
    assert body["status"] == "failed" and body["inserted"] == 0, body
    assert [e["row"] for e in body["errors"]] == [3]
    assert "share" in body["errors"][0]["message"]
    assert _tickets(api) == []
    again = finished(api, upload(api, csv_bytes(rows), type_key="ticket", onError="skip").get_json()["id"])
    assert again["status"] == "done" and again["inserted"] == 2 and again["invalid"] == 1, again
    assert [r["number"] for r in _tickets(api)] == ["T-0001", "T-0002"]  # the refused row took no number


def test_a_column_mapped_onto_a_computed_field_is_refused(api: Any) -> None:
    _ticket_api(api)
    rows = [["title", "No.", "qty", "unit"], ["Chair", "T-9", "1", "1"]]
    response = upload(api, csv_bytes(rows), type_key="ticket", mapping={"title": "title", "No.": "number"})
    assert response.status_code == 400, response.get_json()
    assert "'number' is computed" in response.get_json()["error"]["message"]
    unmapped = upload(api, csv_bytes(rows), type_key="ticket")
    body = finished(api, unmapped.get_json()["id"])
    assert body["status"] == "done" and _tickets(api)[0]["number"] == "T-0001", body  # the column is ignored


def test_update_mode_recomputes_formulas(api: Any) -> None:
    definition = {**TICKET, "fields": [*TICKET["fields"], {"key": "code", "label": {"en": "Code", "zh": "代码"},
                                                           "type": "text", "unique": True}]}
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    api.user("sam", roles=("staff",))
    first = finished(api, upload(api, csv_bytes([["code", "qty", "unit"], ["A", "2", "5"]]), type_key="ticket")
                     .get_json()["id"])
    assert first["status"] == "done", first
    body = finished(api, upload(api, csv_bytes([["code", "qty"], ["A", "3"]]), type_key="ticket", mode="update",
                                key="code").get_json()["id"])
    assert body["status"] == "done" and body["updated"] == 1, body
    assert [(r["number"], r["qty"], r["total"]) for r in _tickets(api)] == [("T-0001", 3, 15)]


CUSTOMER = {"key": "customer", "name": {"en": "Customer", "zh": "客户"},
            "fields": [{"key": "code", "label": {"en": "Code", "zh": "代码"}, "type": "text", "unique": True},
                       {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"}],
            "permissions": [{"roles": ["staff"], "actions": ["read", "create"]}]}
ORDER = {"key": "order", "name": {"en": "Order", "zh": "订单"},
         "fields": [{"key": "ref", "label": {"en": "Ref", "zh": "编号"}, "type": "text"},
                    {"key": "customer", "label": {"en": "Customer", "zh": "客户"}, "type": "relation",
                     "target": "customer", "onDelete": "restrict"}],
         "permissions": [{"roles": ["staff"], "actions": ["read", "create", "import"]}]}


def test_a_relation_cell_names_the_related_record_by_a_unique_field_or_id(api: Any) -> None:
    for definition in (CUSTOMER, ORDER):
        response = api.post("modeler", "/api/v1/record-types", json=definition)
        assert response.status_code == 201, response.get_json()
    api.user("sam", roles=("staff",))
    acme = api.post("sam", "/api/v1/records/customer", json={"fields": {"code": "ACME", "name": "Acme"}}).get_json()
    other = api.post("sam", "/api/v1/records/customer", json={"fields": {"code": "B-2"}}).get_json()
    rows = [["ref", "客户"], ["o1", "acme"], ["o2", str(other["id"])], ["o3", "nobody"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="order").get_json()["id"])
    assert body["status"] == "failed" and [(e["row"], e["header"]) for e in body["errors"]] == [(4, "客户")], body
    assert "no customer record 'nobody'" in body["errors"][0]["message"]
    body = finished(api, upload(api, csv_bytes(rows[:3]), type_key="order").get_json()["id"])
    assert body["status"] == "done", body
    listing = api.get("sam", "/api/v1/records/order", query_string={"sort": "id"}).get_json()["items"]
    assert [i["fields"]["customer"] for i in listing] == [acme["id"], other["id"]]


def test_date_times_without_a_zone_are_read_in_the_imports_time_zone(items_api: Any) -> None:
    rows = [["code", "name", "seen_at"], ["A", "a", "2026-03-05 14:30"], ["B", "b", "2026-03-05 14:30+00:00"]]
    body = finished(items_api, upload(items_api, csv_bytes(rows), timezone="Asia/Shanghai").get_json()["id"])
    assert body["status"] == "done", body
    listing = items_api.get("sam", "/api/v1/records/item", query_string={"sort": "code"}).get_json()["items"]
    assert [i["fields"]["seen_at"] for i in listing] == ["2026-03-05T06:30:00Z", "2026-03-05T14:30:00Z"]
    refused = upload(items_api, csv_bytes(rows), timezone="Mars/Base")
    assert refused.status_code == 400 and "Mars/Base" in refused.get_json()["error"]["message"]
