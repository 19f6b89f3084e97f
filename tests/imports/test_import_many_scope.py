"""A relation to many from one cell names only records the importer may read: another's record, by its
unique field or by its id, reads like a missing one and nothing of the row is written."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select

from server.records.many import link_table
from tests.imports.conftest import csv_bytes, finished, upload
from tests.imports.test_import_batch import CUSTOMER
from tests.imports.test_import_many import DEAL

OWN_CUSTOMER = {**copy.deepcopy(CUSTOMER), "permissions": [
    {"roles": ["staff"], "actions": ["read", "create"], "rows": {"kind": "own", "field": "created_by"}}]}


def _setup(api: Any) -> tuple[Any, int, int]:
    for definition in (OWN_CUSTOMER, DEAL):
        response = api.post("modeler", "/api/v1/record-types", json=definition)
        assert response.status_code == 201, response.get_json()
    api.user("sam", roles=("staff",))
    api.user("sue", roles=("staff",))
    mine = api.post("sam", "/api/v1/records/customer", json={"fields": {"code": "S-1"}}).get_json()["id"]
    theirs = api.post("sue", "/api/v1/records/customer", json={"fields": {"code": "U-1"}}).get_json()["id"]
    return api, mine, theirs


def _links(api: Any) -> int:
    with api.app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).select_from(link_table("deal", DEAL["fields"][1])))


def test_another_users_record_by_name_or_id_is_refused_and_nothing_written(api: Any) -> None:
    api, mine, theirs = _setup(api)
    for cell in ("S-1, U-1", f"{mine}, {theirs}"):
        body = finished(api, upload(api, csv_bytes([["ref", "parties"], ["d0", "S-1"], ["d1", cell]]),
                                    type_key="deal").get_json()["id"])
        assert body["status"] == "failed" and body["inserted"] == 0, (cell, body)
        assert [e["row"] for e in body["errors"]] == [3], (cell, body["message"], body["invalid"])
        assert _links(api) == 0
        listed = api.get("sue", "/api/v1/records/deal").get_json()["items"]
        assert listed == [], listed


def test_skip_mode_writes_the_other_rows_only(api: Any) -> None:
    api, mine, theirs = _setup(api)
    rows = [["ref", "parties"], ["d0", "S-1"], ["d1", f"{mine}, {theirs}"], ["d2", f"{mine}"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="deal", onError="skip").get_json()["id"])
    assert body["status"] == "done" and (body["inserted"], body["invalid"]) == (2, 1), body
    assert _links(api) == 2
