"""An import in update mode updates only the records the importer may update (their update row scope), and
checks the scope against the record's real owner, not the importer."""

from __future__ import annotations

import copy
from typing import Any

from tests.imports.conftest import ITEM, csv_bytes, finished, upload


def test_an_update_import_does_not_touch_a_record_outside_the_importers_rows(api: Any) -> None:
    definition = copy.deepcopy(ITEM)
    definition["permissions"] = [{"roles": ["staff"], "actions": ["read", "create", "update", "import", "export"],
                                  "rows": {"kind": "own", "field": "created_by"}}]
    api.user("sam", roles=("staff",))
    api.user("sue", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    mine = api.post("sam", "/api/v1/records/item", json={"fields": {"code": "S-1", "name": "sam's"}}).get_json()
    theirs = api.post("sue", "/api/v1/records/item", json={"fields": {"code": "U-1", "name": "sue's"}}).get_json()

    refused = upload(api, csv_bytes([["code", "name"], ["U-1", "TAKEN"]]), mode="update", key="code").get_json()
    done = finished(api, refused["id"])
    assert done["status"] == "failed" and done.get("updated", 0) == 0, done
    assert [e["row"] for e in done["errors"]] == [2], done["errors"]
    after = api.get("admin", f"/api/v1/records/item/{theirs['id']}").get_json()
    assert after["fields"]["name"] == "sue's" and after["version"] == 1 and after["updatedBy"] == "sue"

    skipped = upload(api, csv_bytes([["code", "name"], ["S-1", "SAM"], ["U-1", "TAKEN"]]), mode="update",
                     key="code", onError="skip").get_json()
    done = finished(api, skipped["id"])
    assert done["status"] == "done" and (done["updated"], done["invalid"]) == (1, 1), done
    assert api.get("admin", f"/api/v1/records/item/{mine['id']}").get_json()["fields"]["name"] == "SAM"
    assert api.get("admin", f"/api/v1/records/item/{theirs['id']}").get_json()["fields"]["name"] == "sue's"
