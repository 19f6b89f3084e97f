"""Changing a field's type converts its values, first shows the records that would not convert, and is
refused unless the designer chooses to clear them; the column really changes type; the change is audited."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select

ITEM: dict[str, Any] = {
    "key": "item", "name": {"en": "Item", "zh": "物品"},
    "fields": [
        {"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text", "unique": True},
        {"key": "qty", "label": {"en": "Quantity", "zh": "数量"}, "type": "text"},
        {"key": "ready", "label": {"en": "Ready", "zh": "就绪"}, "type": "text"},
    ],
}
ROWS = [{"code": "10", "qty": "5", "ready": "yes"}, {"code": "11", "qty": "12", "ready": "no"},
        {"code": "12", "qty": "many", "ready": "是"}, {"code": "13"}]


def _retyped(**types: str) -> dict[str, Any]:
    body = copy.deepcopy(ITEM)
    for f in body["fields"]:
        f["type"] = types.get(f["key"], f["type"])
    return body


@pytest.fixture
def items(api: Any) -> list[int]:
    assert api.post("modeler", "/api/v1/record-types", json=ITEM).status_code == 201
    ids = []
    for row in ROWS:
        made = api.post("admin", "/api/v1/records/item", json={"fields": row})
        assert made.status_code == 201, made.get_json()
        ids.append(made.get_json()["id"])
    return ids


def _values(api: Any, key: str) -> list[Any]:
    items = api.get("admin", "/api/v1/records/item", query_string={"sort": "code"}).get_json()["items"]
    return [r["fields"].get(key) for r in items]


def test_preview_shows_what_would_not_convert_and_changes_nothing(api: Any, items: list[int]) -> None:
    answer = api.post("modeler", "/api/v1/record-types/item/preview", json=_retyped(qty="integer"))
    assert answer.status_code == 200, answer.get_json()
    [change] = answer.get_json()["retyped"]
    assert (change["field"], change["from"], change["to"], change["records"]) == ("qty", "text", "integer", 3)
    assert [r["id"] for r in change["rows"]] == [items[2]] and change["rows"][0]["value"] == "many"
    assert answer.get_json()["changes"] == {"changed": ["qty"]}
    assert api.get("admin", "/api/v1/record-types/item").get_json()["version"] == 1
    assert api.post("sam" if "sam" in api.tokens else "auditor", "/api/v1/record-types/item/preview",
                    json=_retyped(qty="integer")).status_code == 403


def test_a_type_change_over_unconvertible_records_is_refused_naming_them(api: Any, items: list[int]) -> None:
    refused = api.client.put("/api/v1/record-types/item", headers=api.headers("modeler"),
                             json=_retyped(qty="integer"))
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "unconvertible" and error["field"] == "qty"
    assert f"records {items[2]}" in error["message"] and error["changes"][0]["unconvertible"] == 1
    assert api.get("admin", "/api/v1/record-types/item").get_json()["version"] == 1
    assert _values(api, "qty") == ["5", "12", "many", None]  # nothing changed


def test_clearing_converts_the_rest_and_the_column_takes_the_new_type(api: Any, items: list[int]) -> None:
    from server.models import AuditEvent

    saved = api.client.put("/api/v1/record-types/item?clearUnconvertible=true", headers=api.headers("modeler"),
                           json=_retyped(qty="integer", ready="boolean", code="integer"))
    assert saved.status_code == 201, saved.get_json()
    assert _values(api, "qty") == [5, 12, None, None]
    assert _values(api, "ready") == [True, False, True, None]
    assert _values(api, "code") == [10, 11, 12, 13]
    found = api.get("admin", "/api/v1/records/item", query_string={"filter": "qty >= 10"}).get_json()["items"]
    assert [r["fields"]["qty"] for r in found] == [12]  # compared as a number, in SQL
    duplicate = api.post("admin", "/api/v1/records/item", json={"fields": {"code": 10}})
    assert duplicate.status_code == 422  # still unique
    with api.app.extensions["boms_db"].read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "record_type.saved")
                                .order_by(AuditEvent.seq.desc())).first()
        data = json.loads(event.data)
    retyped = {r["field"]: r for r in data["retyped"]}
    assert retyped["qty"]["cleared"] == [items[2]] and retyped["ready"]["cleared"] == []
    back = api.client.put("/api/v1/record-types/item", headers=api.headers("modeler"),
                          json=_retyped(qty="text", ready="boolean", code="integer"))
    assert back.status_code == 201 and _values(api, "qty") == ["5", "12", None, None]


def test_a_relation_or_computed_type_change_is_still_refused(api: Any, items: list[int]) -> None:
    body = _retyped()
    body["fields"][1] = {"key": "qty", "label": {"en": "Q", "zh": "数"}, "type": "formula",
                         "expression": "1", "resultType": "integer"}
    refused = api.client.put("/api/v1/record-types/item", headers=api.headers("modeler"), json=body)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "qty"
