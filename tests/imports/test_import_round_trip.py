"""An import (the batch path: server/db.insert_many with the columns' bind processors) stores what one API
create stores — decimals, money, dates, datetimes with a zone, lists, booleans, nulls — and its audit
events verify (server/services/audit.verify), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from server.services.audit import verify
from tests.imports.conftest import csv_bytes, finished, upload

L = lambda s: {"en": s, "zh": s}  # noqa: E731
KINDS = {"key": "kinds", "name": L("Kinds"), "fields": [
    {"key": "ref", "label": L("Ref"), "type": "text", "unique": True},
    {"key": "qty", "label": L("Qty"), "type": "integer"},
    {"key": "dec", "label": L("Dec"), "type": "decimal", "scale": 3},
    {"key": "price", "label": L("Price"), "type": "money", "currency": "CNY"},
    {"key": "done", "label": L("Done"), "type": "boolean"},
    {"key": "day", "label": L("Day"), "type": "date"},
    {"key": "at", "label": L("At"), "type": "datetime"},
    {"key": "tags", "label": L("Tags"), "type": "multi_select",
     "options": [{"value": "a", "label": L("A")}, {"value": "b", "label": L("B")}]},
    {"key": "note", "label": L("Note"), "type": "text"}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "import"]}]}
ROWS = [  # the same values as a cell and as the API's JSON
    (["r1", "1", "1.5", "2", "true", "2026-01-02", "2026-01-02T10:00:00+08:00", "a, b", "x"],
     {"qty": 1, "dec": "1.5", "price": "2", "done": True, "day": "2026-01-02", "at": "2026-01-02T10:00:00+08:00",
      "tags": ["a", "b"], "note": "x"}),
    (["r2", "1", "1.500", "2.00", "false", "2026-01-02", "2026-01-02T02:00:00Z", "b", ""],
     {"qty": 1, "dec": "1.500", "price": "2.00", "done": False, "day": "2026-01-02", "at": "2026-01-02T02:00:00Z",
      "tags": ["b"], "note": None}),
    (["r3", "", "", "", "", "", "", "", ""],
     {"qty": None, "dec": None, "price": None, "done": None, "day": None, "at": None, "tags": None, "note": None}),
    (["r4", "0", "0", "0", "1", "2026-01-03", "2026-01-02T02:00:00Z", "a", "1"],
     {"qty": 0, "dec": "0", "price": "0", "done": True, "day": "2026-01-03", "at": "2026-01-02T02:00:00Z",
      "tags": ["a"], "note": "1"}),
]


def test_an_import_stores_what_the_api_stores_and_its_audit_verifies(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=KINDS).status_code == 201
    api.user("sam", roles=("staff",))
    header = ["ref", "qty", "dec", "price", "done", "day", "at", "tags", "note"]
    body = finished(api, upload(api, csv_bytes([header] + [cells for cells, _ in ROWS]), type_key="kinds",
                                timezone="UTC").get_json()["id"])
    assert body["status"] == "done" and body["inserted"] == len(ROWS), body
    for _, fields in ROWS:
        made = api.post("sam", "/api/v1/records/kinds", json={"fields": {**fields, "ref": None}})
        assert made.status_code == 201, made.get_json()
    listed = api.get("sam", "/api/v1/records/kinds")
    assert listed.status_code == 200, listed.get_json()
    items = listed.get_json()["items"]
    imported = {i["fields"]["ref"]: i["fields"] for i in items if i["fields"]["ref"]}
    created = [i["fields"] for i in items if not i["fields"]["ref"]]
    assert len(imported) == len(created) == len(ROWS)
    by_api = sorted(({k: v for k, v in f.items() if k != "ref"} for f in created), key=repr)
    by_import = sorted(({k: v for k, v in f.items() if k != "ref"} for f in imported.values()), key=repr)
    assert by_import == by_api
    def changes(item: dict[str, Any]) -> Any:
        history = api.get("sam", f"/api/v1/records/kinds/{item['id']}/history").get_json()["items"]
        return sorted(((k, repr(v["new"])) for e in history if e["kind"] == "record.created"
                       for k, v in e["changes"].items() if k != "ref" and v["new"] is not None))
    logged_import = sorted(changes(i) for i in items if i["fields"]["ref"])
    logged_api = sorted(changes(i) for i in items if not i["fields"]["ref"])
    assert logged_import == logged_api
    with api.app.extensions["boms_db"].read() as session:
        result = verify(session)
    assert not result.problems, result.problems
