"""Row scope as a JEXL condition (``owner == $me || region == $me.department``): one rule on every path.

A matrix: three users (an owner, one whose department matches a region, one with neither) x three records
x the paths list, get, history, update, delete, export (CSV) and create; each cell is what the condition
says, answered in the database (list, export) and for one record (get, update, delete, create).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import update

DEAL: dict[str, Any] = {
    "key": "deal", "name": {"en": "Deal", "zh": "商机"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "owner", "label": {"en": "Owner", "zh": "负责人"}, "type": "text"},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "text"},
    ],
    "permissions": [
        {"roles": ["staff"], "actions": ["read", "update", "delete", "create", "export"],
         "rows": {"kind": "condition", "condition": "owner == $me || region == $me.department"}},
    ],
}
# record title -> (owner, region)
RECORDS = {"ann-south": ("ann", "south"), "bob-north": ("bob", "north"), "east": (None, "east")}
# who -> the records the condition lets them reach (ann: department north; bob: none; cal: department east)
REACH = {"ann": {"ann-south", "bob-north"}, "bob": {"bob-north"}, "cal": {"east"}}
DEPARTMENTS = {"ann": "north", "bob": None, "cal": "east"}


@pytest.fixture
def deals(api: Any) -> dict[str, int]:
    from server.models import User

    for name, department in DEPARTMENTS.items():
        api.user(name, roles=("staff",))
        with api.app.extensions["boms_db"].write() as session:
            session.execute(update(User).where(User.username == name).values(department=department))
    assert api.post("modeler", "/api/v1/record-types", json=DEAL).status_code == 201
    ids = {}
    for title, (owner, region) in RECORDS.items():
        made = api.post("admin", "/api/v1/records/deal", json={"fields": {"title": title, "owner": owner,
                                                                          "region": region}})
        assert made.status_code == 201, made.get_json()
        ids[title] = made.get_json()["id"]
    return ids


@pytest.mark.parametrize("who", sorted(REACH))
def test_every_read_path_follows_the_condition(api: Any, deals: dict[str, int], who: str) -> None:
    listed = api.get(who, "/api/v1/records/deal").get_json()
    assert {r["fields"]["title"] for r in listed["items"]} == REACH[who] and listed["total"] == len(REACH[who])
    for title, record_id in deals.items():
        expected = 200 if title in REACH[who] else 404
        assert api.get(who, f"/api/v1/records/deal/{record_id}").status_code == expected, (who, title)
        assert api.get(who, f"/api/v1/records/deal/{record_id}/history").status_code == expected, (who, title)
    exported = api.get(who, "/api/v1/records/deal/export", query_string={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))[1:]
    assert {row[1] for row in rows} == REACH[who]


@pytest.mark.parametrize("who", sorted(REACH))
def test_writes_follow_the_condition(api: Any, deals: dict[str, int], who: str) -> None:
    for title, record_id in deals.items():
        url = f"/api/v1/records/deal/{record_id}"
        patched = api.client.patch(url, headers=api.headers(who), json={"fields": {"title": f"{title}!"}})
        assert patched.status_code == (200 if title in REACH[who] else 404), (who, title, patched.get_json())
    for title, record_id in deals.items():
        removed = api.client.delete(f"/api/v1/records/deal/{record_id}", headers=api.headers(who))
        assert removed.status_code == (204 if title in REACH[who] else 404), (who, title)
    left = api.get("admin", "/api/v1/records/deal").get_json()["items"]
    assert {r["fields"]["title"].rstrip("!") for r in left} == set(RECORDS) - REACH[who]


def test_a_create_must_land_inside_the_condition(api: Any, deals: dict[str, int]) -> None:
    inside = api.post("bob", "/api/v1/records/deal", json={"fields": {"title": "mine", "owner": "bob"}})
    assert inside.status_code == 201
    outside = api.post("bob", "/api/v1/records/deal", json={"fields": {"title": "theirs", "owner": "ann"}})
    assert outside.status_code == 400 and "outside your rows" in outside.get_json()["error"]["message"]
    by_department = api.post("ann", "/api/v1/records/deal", json={"fields": {"title": "n", "region": "north"}})
    assert by_department.status_code == 201


def test_a_filter_cannot_widen_the_condition(api: Any, deals: dict[str, int]) -> None:
    found = api.get("bob", "/api/v1/records/deal", query_string={"filter": 'owner == "ann" || region != null'})
    assert {r["fields"]["title"] for r in found.get_json()["items"]} == {"bob-north"}


@pytest.mark.parametrize("condition, message", [
    ("owner == $me || region == $me.region", "no field '$me.region'"),
    ("nobody == $me", "no field(s) nobody"),
    ("owner + 1 > 2", "filter"),
    ("owner ==", "condition"),
])
def test_a_bad_condition_is_refused_at_save(api: Any, condition: str, message: str) -> None:
    body = {**DEAL, "permissions": [{"roles": ["staff"], "actions": ["read"],
                                     "rows": {"kind": "condition", "condition": condition}}]}
    response = api.post("modeler", "/api/v1/record-types", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert message in error["message"] and "permission 1" in error["message"]
    assert api.get("admin", "/api/v1/record-types/deal").status_code == 404


def test_an_update_cannot_move_a_record_out_of_the_condition(api: Any, deals: dict[str, int]) -> None:
    url = f"/api/v1/records/deal/{deals['bob-north']}"
    moved = api.client.patch(url, headers=api.headers("bob"), json={"fields": {"owner": "ann"}})
    assert moved.status_code == 400 and "outside your rows" in moved.get_json()["error"]["message"]
    assert api.get("admin", url).get_json()["fields"]["owner"] == "bob"
    kept = api.client.patch(url, headers=api.headers("bob"), json={"fields": {"region": "west"}})
    assert kept.status_code == 200  # still his by the owner
