"""Record types: save, versions, refusals naming the field, JSON Schema, who may design."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.conftest import contract


def test_save_makes_a_version_and_the_same_content_makes_none(api: Any) -> None:
    first = api.post("modeler", "/api/v1/record-types", json=contract())
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["version"] == 1
    again = api.client.put("/api/v1/record-types/contract", headers=api.headers("modeler"), json=contract())
    assert again.status_code == 200 and again.get_json()["version"] == 1
    changed = contract()
    changed["fields"][0]["label"] = {"en": "Contract title", "zh": "合同标题"}
    changed["fields"].append({"key": "owner_note", "label": {"en": "Owner", "zh": "负责人"}, "type": "text",
                              "default": "n/a"})
    second = api.client.put("/api/v1/record-types/contract", headers=api.headers("admin"), json=changed)
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["version"] == 2
    listed = api.get("admin", "/api/v1/record-types").get_json()["items"]
    assert listed == [{"key": "contract", "name": {"en": "Contract", "zh": "合同"}, "version": 2}]
    assert api.get("admin", "/api/v1/record-types/contract").get_json()["fields"][0]["label"]["en"] == \
        "Contract title"


def test_adding_a_field_fills_its_default_in_existing_records(records_api: Any) -> None:
    created = records_api.post("sam", "/api/v1/records/contract", json={"fields": {"title": "A"}}).get_json()
    changed = contract()
    changed["fields"].append({"key": "stage", "label": {"en": "Stage", "zh": "阶段"}, "type": "text",
                              "default": "draft"})
    changed["permissions"][0]["fields"].append("stage")
    assert records_api.client.put("/api/v1/record-types/contract", headers=records_api.headers("modeler"),
                                  json=changed).status_code == 201
    record = records_api.get("sam", f"/api/v1/records/contract/{created['id']}").get_json()
    assert record["fields"]["stage"] == "draft"


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["fields"].append({"key": "x", "label": {"en": "X", "zh": "X"}, "type": "attachment",
                                   "maxFiles": 3}), "x", "'maxFiles' needs"),
    (lambda d: d["fields"].append({"key": "y", "label": {"en": "Y", "zh": "Y"}, "type": "colour"}), "y",
     "must be one of"),
    (lambda d: d["fields"][0].update(colour="red"), "title", "unknown key(s) colour"),
    (lambda d: d["fields"][0].update(label={"en": "only English"}), "title", "\"zh\""),
    (lambda d: d["fields"].append(dict(d["fields"][0])), "title", "more than once"),
    (lambda d: d["fields"][2].update(validation={"pattern": "x"}), "validation", "does not apply"),
    (lambda d: d["fields"][0].update(validation={"pattern": "(?=x)"}), "validation", "not a valid regular"),
    (lambda d: d["fields"][4].update(currency="yuan"), "amount", "ISO 4217"),
    (lambda d: d["fields"][4].update(default="abc"), "amount", "default"),
    (lambda d: d["fields"][5].update(unique=True), "signed", "cannot be unique"),
    (lambda d: d["fields"][0].update(key="id"), "id", "system field"),
    (lambda d: d.update(extra=1), "extra", "unknown key"),
    (lambda d: d["permissions"].append({"roles": ["staff"], "actions": ["read"], "fields": ["nope"]}),
     "permissions", "nope"),
])
def test_a_bad_definition_is_refused_naming_the_field(api: Any, change: Any, field: str, words: str) -> None:
    definition = contract()
    change(definition)
    response = api.post("modeler", "/api/v1/record-types", json=definition)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field and words in error["message"], error
    assert api.get("modeler", "/api/v1/record-types").get_json()["items"] == []


def test_retyping_to_a_type_values_cannot_convert_to_is_refused_and_keeps_the_version(records_api: Any) -> None:
    retyped = contract()  # plain types convert (tests/records/test_record_retype.py); a user field does not
    retyped["fields"][2]["type"] = "user"
    retyped["fields"][2]["validation"] = {}
    response = records_api.client.put("/api/v1/record-types/contract", headers=records_api.headers("modeler"),
                                      json=retyped)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "seats"
    assert records_api.get("modeler", "/api/v1/record-types/contract").get_json()["version"] == 1


def test_making_a_field_unique_over_duplicates_is_refused_naming_them(records_api: Any) -> None:
    for _ in range(2):
        assert records_api.post("sam", "/api/v1/records/contract",
                                json={"fields": {"title": "Same", "email": "a@b.cn"}}).status_code == 201
    changed = contract()
    changed["fields"][10]["unique"] = True
    response = records_api.client.put("/api/v1/record-types/contract", headers=records_api.headers("modeler"),
                                      json=changed)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == "email"
    assert "a@b.cn" in response.get_json()["error"]["message"]


def test_only_admins_and_modelers_design_types(records_api: Any) -> None:
    response = records_api.post("sam", "/api/v1/record-types", json={**contract(), "key": "other"})
    assert response.status_code == 403


def test_schema_and_type_show_only_readable_fields(records_api: Any) -> None:
    schema = records_api.get("sam", "/api/v1/record-types/contract/schema").get_json()
    assert "margin" not in schema["properties"] and "amount" in schema["properties"]
    assert schema["properties"]["amount"]["x-currency"] == "CNY"
    assert schema["required"] == ["title"]
    described = records_api.get("sam", "/api/v1/record-types/contract").get_json()
    assert "margin" not in [f["key"] for f in described["fields"]] and "permissions" not in described
    full = records_api.get("modeler", "/api/v1/record-types/contract/schema").get_json()
    assert "margin" in full["properties"]
    assert records_api.get("sam", "/api/v1/record-types/nothing").status_code == 404
