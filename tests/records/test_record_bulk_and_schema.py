"""Bulk writes (all or nothing, per-row errors) and schema changes that keep data (remove, restore, purge)."""

from __future__ import annotations

from typing import Any

from tests.records.conftest import contract, create


def _bulk(api: Any, who: str, body: Any) -> Any:
    return api.post(who, "/api/v1/records/contract/bulk", json=body)


def test_bulk_creates_updates_and_deletes_in_one_call(records_api: Any) -> None:
    first = create(records_api, "sam", title="Old").get_json()
    gone = create(records_api, "sam", title="Gone").get_json()
    response = _bulk(records_api, "sam", {
        "create": [{"fields": {"title": f"New {i}", "seats": i + 1}} for i in range(30)],
        "update": [{"id": first["id"], "fields": {"title": "Renamed"}, "version": 1}],
        "delete": [{"id": gone["id"], "version": 1}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert len(body["created"]) == 30 and body["updated"] == [first["id"]] and body["deleted"] == [gone["id"]]
    listing = records_api.get("sam", "/api/v1/records/contract").get_json()
    assert listing["total"] == 31
    history = records_api.get("sam", f"/api/v1/records/contract/{body['created'][0]}/history").get_json()
    assert [e["kind"] for e in history["items"]] == ["record.created"]


def test_one_bad_row_refuses_the_whole_call_naming_each_bad_row(records_api: Any) -> None:
    record = create(records_api, "sam", title="Keep").get_json()
    response = _bulk(records_api, "sam", {
        "create": [{"fields": {"title": "fine"}}, {"fields": {"seats": 0}}, {"fields": {"title": "fine too"}}],
        "update": [{"id": record["id"], "fields": {"title": "changed"}, "version": 9}],
        "delete": [{"id": 424242}]})
    assert response.status_code == 422, response.get_json()
    rows = response.get_json()["error"]["rows"]
    assert [(r["op"], r["index"], r["status"]) for r in rows] == [("create", 1, 422), ("update", 0, 409),
                                                                    ("delete", 0, 404)]
    assert set(rows[0]["error"]["fields"]) == {"title", "seats"}
    listing = records_api.get("sam", "/api/v1/records/contract").get_json()
    assert listing["total"] == 1 and listing["items"][0]["fields"]["title"] == "Keep"
    assert _bulk(records_api, "sam", {"create": [{"fields": {}}] * 1001}).status_code == 400
    assert _bulk(records_api, "sam", {"upsert": []}).status_code == 400


def _put(api: Any, definition: dict[str, Any]) -> Any:
    return api.client.put("/api/v1/record-types/contract", headers=api.headers("modeler"), json=definition)


def _without_notes() -> dict[str, Any]:
    definition = contract()
    definition["fields"] = [f for f in definition["fields"] if f["key"] != "notes"]
    for grant in definition["permissions"]:
        if "notes" in grant.get("fields", []):
            grant["fields"].remove("notes")
    return definition


def test_a_removed_field_keeps_its_data_until_purged(records_api: Any) -> None:
    record = create(records_api, "sam", title="T", notes="keep me").get_json()
    url = f"/api/v1/records/contract/{record['id']}"
    assert _put(records_api, _without_notes()).status_code == 201
    assert "notes" not in records_api.get("sam", url).get_json()["fields"]
    described = records_api.get("modeler", "/api/v1/record-types/contract").get_json()
    assert [f["key"] for f in described["removedFields"]] == ["notes"]
    assert create(records_api, "sam", title="U", notes="x").status_code == 422  # no longer a field
    assert _put(records_api, contract()).status_code == 201  # back: its data with it
    assert records_api.get("sam", url).get_json()["fields"]["notes"] == "keep me"
    assert _put(records_api, _without_notes()).status_code == 201
    purge = "/api/v1/record-types/contract/purge"
    assert records_api.post("modeler", purge, json={"field": "notes"}).status_code == 403  # admins only
    assert records_api.post("admin", purge, json={"field": "title"}).status_code == 400  # still a field
    response = records_api.post("admin", purge, json={"field": "notes"})
    assert response.status_code == 200 and response.get_json()["removedFields"] == []
    assert _put(records_api, contract()).status_code == 201  # a new, empty column
    assert records_api.get("sam", url).get_json()["fields"]["notes"] is None
    events = records_api.get("auditor", "/api/v1/audit", query_string={"kind": "record_type.field_purged"})
    assert [e["kind"] for e in events.get_json()["items"]] == ["record_type.field_purged"], events.get_json()


def test_a_formula_added_later_is_computed_for_existing_records(records_api: Any) -> None:
    record = create(records_api, "sam", title="T", seats=4).get_json()
    definition = contract()
    definition["fields"].append({"key": "double", "label": {"en": "Double", "zh": "双倍"}, "type": "formula",
                                 "expression": "seats ? seats * 2 : 0", "resultType": "integer"})
    definition["permissions"][0]["fields"].append("double")
    assert _put(records_api, definition).status_code == 201
    assert records_api.get("sam", f"/api/v1/records/contract/{record['id']}").get_json()["fields"]["double"] == 8
    assert create(records_api, "sam", title="No seats").get_json()["fields"]["double"] == 0
    failing = contract()
    failing["fields"].append({"key": "ratio", "label": {"en": "R", "zh": "R"}, "type": "formula",
                              "expression": "10 / seats", "resultType": "decimal"})
    response = _put(records_api, failing)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "ratio", response.get_json()
