"""An import in update mode updates only the records the importer may update (their update row scope), and
checks the import row scope against the record's real owner, not the importer."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.imports.conftest import ITEM, csv_bytes, finished, upload

OWN = {"kind": "own", "field": "created_by"}
GRANTS = {
    # one grant, its rows over update and import alike
    "both-own": [{"roles": ["staff"], "actions": ["read", "create", "update", "import", "export"], "rows": OWN}],
    # update only one's own rows, import anything: the other's record is not one to update
    "update-own": [{"roles": ["staff"], "actions": ["read", "create", "import", "export"]},
                   {"roles": ["staff"], "actions": ["update"], "rows": OWN}],
    # update anything, import only into one's own rows: checked with the record's owner, not the importer
    "import-own": [{"roles": ["staff"], "actions": ["read", "create", "update", "export"]},
                   {"roles": ["staff"], "actions": ["import"], "rows": OWN}],
}


@pytest.fixture(params=sorted(GRANTS))
def scoped(api: Any, request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    definition = copy.deepcopy(ITEM)
    definition["permissions"] = GRANTS[request.param]
    api.user("sam", roles=("staff",))
    api.user("sue", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    mine = api.post("sam", "/api/v1/records/item", json={"fields": {"code": "S-1", "name": "sam's"}})
    theirs = api.post("sue", "/api/v1/records/item", json={"fields": {"code": "U-1", "name": "sue's"}})
    assert mine.status_code == theirs.status_code == 201, (mine.get_json(), theirs.get_json())
    return api, mine.get_json(), theirs.get_json()


def _unchanged(api: Any, record: dict[str, Any]) -> None:
    after = api.get("admin", f"/api/v1/records/item/{record['id']}").get_json()
    assert after["fields"]["name"] == "sue's" and after["version"] == 1 and after["updatedBy"] == "sue", after


def test_an_update_import_does_not_touch_a_record_outside_the_importers_rows(scoped: Any) -> None:
    api, mine, theirs = scoped
    refused = upload(api, csv_bytes([["code", "name"], ["U-1", "TAKEN"]]), mode="update", key="code")
    assert refused.status_code == 202, refused.get_json()
    done = finished(api, refused.get_json()["id"])
    assert done["status"] == "failed" and not done.get("updated"), done
    assert [e["row"] for e in done["errors"]] == [2], done["errors"]
    _unchanged(api, theirs)

    skipped = upload(api, csv_bytes([["code", "name"], ["S-1", "SAM"], ["U-1", "TAKEN"]]), mode="update",
                     key="code", onError="skip").get_json()
    done = finished(api, skipped["id"])
    assert done["status"] == "done" and (done["updated"], done["invalid"]) == (1, 1), done
    assert api.get("admin", f"/api/v1/records/item/{mine['id']}").get_json()["fields"]["name"] == "SAM"
    _unchanged(api, theirs)


def test_an_upsert_import_neither_updates_nor_duplicates_a_record_outside_the_rows(scoped: Any) -> None:
    api, _, theirs = scoped
    body = upload(api, csv_bytes([["code", "name"], ["U-1", "TAKEN"]]), mode="upsert", key="code").get_json()
    done = finished(api, body["id"])
    assert done["status"] == "failed" and not done.get("updated") and not done.get("inserted"), done
    assert [e["row"] for e in done["errors"]] == [2], done["errors"]
    _unchanged(api, theirs)
    assert api.get("admin", "/api/v1/records/item").get_json()["total"] == 2
