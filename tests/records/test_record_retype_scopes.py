"""A user field that a row scope ``own`` reads (or a group field under ``my_groups``) keeps its kind: turning
it into a group (or a user, or text) would silently change who sees which records, so the save is refused
naming the field and the permission, unless the same save changes the permission."""

from __future__ import annotations

import copy
from typing import Any

from tests.records.linked import label

LEAD: dict[str, Any] = {
    "key": "lead", "name": label("Lead"),
    "fields": [{"key": "code", "label": label("Code"), "type": "text"},
               {"key": "owner", "label": label("Owner"), "type": "user"}],
    "permissions": [{"roles": ["staff"], "actions": ["read"], "rows": {"kind": "own", "field": "owner"}}],
}


def test_a_user_field_under_an_own_scope_does_not_become_a_group(api: Any) -> None:
    api.user("ops", groups=("ops",))  # a user and a group of one name
    assert api.post("modeler", "/api/v1/record-types", json=LEAD).status_code == 201
    made = api.post("admin", "/api/v1/records/lead", json={"fields": {"code": "l1", "owner": "ops"}})
    assert made.status_code == 201
    body = copy.deepcopy(LEAD)
    body["fields"][1]["type"] = "group"
    preview = api.post("modeler", "/api/v1/record-types/lead/preview", json=body)
    [change] = preview.get_json()["retyped"]
    assert "permission 1" in change["refused"]  # the preview says so before the save
    refused = api.client.put("/api/v1/record-types/lead", headers=api.headers("modeler"), json=body)
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert error["field"] == "owner" and "permission 1" in error["message"] and "own" in error["message"]
    assert api.get("admin", "/api/v1/record-types/lead").get_json()["version"] == 1  # nothing changed
    body["permissions"] = [{"roles": ["staff"], "actions": ["read"], "rows": {"kind": "my_groups", "field": "owner"}}]
    saved = api.client.put("/api/v1/record-types/lead", headers=api.headers("modeler"), json=body)
    assert saved.status_code == 201, saved.get_json()
    [record] = api.get("admin", "/api/v1/records/lead").get_json()["items"]
    assert record["fields"]["owner"] == "ops"
