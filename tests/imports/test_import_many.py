"""A relation to many from one cell: "A-1, A-2" names the related records by a unique field (or id), written
as link rows through the batch path; every unknown name is in the cell's error, nothing is written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.records.many import link_table
from tests.imports.conftest import csv_bytes, finished, upload
from tests.imports.test_import_batch import CUSTOMER

DEAL = {"key": "deal", "name": {"en": "Deal", "zh": "交易"},
        "fields": [{"key": "ref", "label": {"en": "Ref", "zh": "编号"}, "type": "text", "unique": True},
                   {"key": "parties", "label": {"en": "Parties", "zh": "参与方"}, "type": "relation",
                    "target": "customer", "multiple": True}],
        "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "import"]}]}


def _api(api: Any) -> tuple[Any, list[int]]:
    for definition in (CUSTOMER, DEAL):
        response = api.post("modeler", "/api/v1/record-types", json=definition)
        assert response.status_code == 201, response.get_json()
    api.user("sam", roles=("staff",))
    ids = [api.post("sam", "/api/v1/records/customer", json={"fields": {"code": code}}).get_json()["id"]
           for code in ("A-1", "A-2", "A-3")]
    return api, ids


def _deals(api: Any) -> list[tuple[str, list[int]]]:
    items = api.get("sam", "/api/v1/records/deal", query_string={"sort": "ref"}).get_json()["items"]
    return [(i["fields"]["ref"], i["fields"]["parties"]) for i in items]


def _links(api: Any) -> int:
    with api.app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).select_from(link_table("deal", DEAL["fields"][1])))


def test_one_cell_names_several_records_by_their_unique_field_or_id(api: Any) -> None:
    api, (a1, a2, a3) = _api(api)
    rows = [["ref", "参与方"], ["d1", "A-1, a-2"], ["d2", f"A-3；{a1}"], ["d3", ""], ["d4", "A-2,A-2"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="deal").get_json()["id"])
    assert body["status"] == "done" and body["inserted"] == 4, body
    assert _deals(api) == [("d1", [a1, a2]), ("d2", [a1, a3]), ("d3", []), ("d4", [a2])]
    assert _links(api) == 5


def test_every_unknown_name_of_the_cell_is_named_and_nothing_is_written(api: Any) -> None:
    api, _ = _api(api)
    rows = [["ref", "parties"], ["d1", "A-1"], ["d2", "A-1, nobody, A-2, ghost"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="deal").get_json()["id"])
    assert body["status"] == "failed" and body["inserted"] == 0, body
    [error] = body["errors"]
    assert (error["row"], error["column"], error["header"]) == (3, "B", "parties"), error
    assert error["message"].startswith("no customer records 'nobody', 'ghost'"), error
    assert error["code"] == "cell_unknown_records" and error["params"]["value"] == "nobody”, “ghost", error
    assert _deals(api) == [] and _links(api) == 0


def test_upsert_replaces_the_links_a_row_names(api: Any) -> None:
    api, (a1, a2, a3) = _api(api)
    first = [["ref", "parties"], ["d1", "A-1, A-2"], ["d2", "A-3"]]
    assert finished(api, upload(api, csv_bytes(first), type_key="deal").get_json()["id"])["status"] == "done"
    again = [["ref", "parties"], ["d1", "A-2, A-3"], ["d2", "A-3"], ["d3", "A-1"]]
    body = finished(api, upload(api, csv_bytes(again), type_key="deal", mode="upsert", key="ref").get_json()["id"])
    assert body["status"] == "done" and (body["inserted"], body["updated"]) == (1, 2), body  # d2 as it was
    assert _deals(api) == [("d1", [a2, a3]), ("d2", [a3]), ("d3", [a1])]
    deal = api.get("sam", "/api/v1/records/deal", query_string={"sort": "ref"}).get_json()["items"][0]
    history = api.get("sam", f"/api/v1/records/deal/{deal['id']}/history").get_json()
    changes = [e for e in history["items"] if e["kind"] == "record.updated"][0]["changes"]
    assert changes == {"parties": {"old": [a1, a2], "new": [a2, a3]}}, changes
