"""Record rules see a bulk write's records one by one: a run per record created or updated, none for a
refused batch."""

from __future__ import annotations

from typing import Any

from tests.rules.conftest import runs, save_rule

CREATED = {"key": "on_new_material", "trigger": {"type": "record", "recordType": "material", "on": ["created"]},
           "actions": [{"id": "find", "type": "query_records", "recordType": "material", "filter": "stock < 5"}]}


def _bulk(api: Any, body: Any) -> Any:
    return api.post("sam", "/api/v1/records/material/bulk", json=body)


def test_a_bulk_create_and_update_fire_the_rule_once_per_record(rules_api: Any) -> None:
    save_rule(rules_api, CREATED)
    save_rule(rules_api, {**CREATED, "key": "on_stock", "trigger": {"type": "record", "recordType": "material",
                                                                    "on": ["updated"], "fields": ["stock"]}})
    response = _bulk(rules_api, {"create": [{"fields": {"name": f"M{i}", "stock": i}} for i in range(4)]})
    assert response.status_code == 200, response.get_json()
    assert len(runs(rules_api, "on_new_material")) == 4
    ids = response.get_json()["created"]
    changed = _bulk(rules_api, {"update": [{"id": ids[0], "fields": {"stock": 9}},
                                           {"id": ids[1], "fields": {"name": "renamed"}}]})
    assert changed.status_code == 200, changed.get_json()
    assert len(runs(rules_api, "on_stock")) == 1  # only the record whose stock changed
    refused = _bulk(rules_api, {"create": [{"fields": {"name": "fine"}}, {"fields": {"stock": 1}}]})
    assert refused.status_code == 422
    assert len(runs(rules_api, "on_new_material")) == 4
