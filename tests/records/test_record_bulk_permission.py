"""The ``bulk`` action: the bulk call needs it beside each row's own action; a grant of it alone names no
fields or rows."""

from __future__ import annotations

from typing import Any

from tests.records.conftest import contract, create


def _grants(api: Any, grants: list[dict[str, Any]]) -> Any:
    definition = contract()
    definition["permissions"] = grants
    return api.client.put("/api/v1/record-types/contract", headers=api.headers("modeler"), json=definition)


def _bulk(api: Any, who: str, body: Any) -> Any:
    return api.post(who, "/api/v1/records/contract/bulk", json=body)


def test_the_bulk_call_needs_the_bulk_action_beside_the_operations(records_api: Any) -> None:
    assert _grants(records_api, [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]},
                                 {"users": ["bea"], "actions": ["read", "bulk"]}]).status_code == 201
    records_api.user("bea", roles=())
    kept = create(records_api, "sam", title="Kept").get_json()
    refused = _bulk(records_api, "sam", {"create": [{"fields": {"title": "New"}}]})
    assert refused.status_code == 403 and "bulk" in refused.get_json()["error"]["message"]
    # bulk alone is not create, update or delete either
    assert _bulk(records_api, "bea", {"create": [{"fields": {"title": "New"}}]}).status_code == 403
    assert _bulk(records_api, "bea", {"delete": [{"id": kept["id"]}]}).status_code == 403
    assert records_api.get("sam", "/api/v1/records/contract").get_json()["total"] == 1
    assert _grants(records_api, [{"roles": ["staff"], "actions": ["read", "create", "update", "delete",
                                                                  "bulk"]}]).status_code == 201
    done = _bulk(records_api, "sam", {"create": [{"fields": {"title": "New"}}], "delete": [{"id": kept["id"]}]})
    assert done.status_code == 200, done.get_json()


def test_a_grant_of_bulk_alone_takes_no_fields_or_rows(records_api: Any) -> None:
    for extra in ({"fields": ["title"]}, {"rows": {"kind": "own", "field": "created_by"}}):
        response = _grants(records_api, [{"roles": ["staff"], "actions": ["bulk"], **extra}])
        assert response.status_code == 400 and "'bulk' alone" in response.get_json()["error"]["message"]


def test_the_demo_types_keep_bulk_for_the_roles_that_write() -> None:
    import json
    from pathlib import Path

    for path in sorted(Path("records").glob("*.record.json")):
        for grant in json.loads(path.read_text())["recordType"].get("permissions", []):
            writes = {"create", "update", "delete"} & set(grant["actions"])
            assert not writes or "bulk" in grant["actions"] or grant["actions"] == ["update"], (path, grant)
    # (the contract's staff update grant names other fields; its read/create grant carries bulk)
