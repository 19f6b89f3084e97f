"""User and group fields convert to and from text (by username or group name) and between one and many:
the preview names the records whose text names nobody, the save refuses them unless cleared; users and
groups convert into each other by name the same way; a conversion to or from a relation stays refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.records.linked import label

LEAD: dict[str, Any] = {
    "key": "lead", "name": label("Lead"),
    "fields": [
        {"key": "code", "label": label("Code"), "type": "text"},
        {"key": "owner", "label": label("Owner"), "type": "text"},
        {"key": "team", "label": label("Team"), "type": "text"},
    ],
}
OWNERS = {"l1": ("ann", "crew"), "l2": (" bob ", "crew"), "l3": ("nobody", "ghosts"), "l4": ("ann, bob", None),
          "l5": (None, None)}


def _with(**changes: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(LEAD)
    for field in body["fields"]:
        field.update(changes.get(field["key"], {}))
    return body


def _put(api: Any, body: dict[str, Any], clear: bool = False) -> Any:
    url = "/api/v1/record-types/lead" + ("?clearUnconvertible=true" if clear else "")
    return api.client.put(url, headers=api.headers("modeler"), json=body)


def _values(api: Any, key: str) -> dict[str, Any]:
    items = api.get("admin", "/api/v1/records/lead", query_string={"sort": "code"}).get_json()["items"]
    return {r["fields"]["code"]: r["fields"].get(key) for r in items}


@pytest.fixture
def leads(api: Any) -> dict[str, int]:
    api.user("ann", groups=("crew",))
    api.user("bob", groups=("crew",))
    assert api.post("modeler", "/api/v1/record-types", json=LEAD).status_code == 201
    ids = {}
    for code, (owner, team) in OWNERS.items():
        made = api.post("admin", "/api/v1/records/lead", json={"fields": {"code": code, "owner": owner,
                                                                          "team": team}})
        assert made.status_code == 201, made.get_json()
        ids[code] = made.get_json()["id"]
    return ids


def test_text_to_user_previews_and_refuses_names_nobody_has(api: Any, leads: dict[str, int]) -> None:
    preview = api.post("modeler", "/api/v1/record-types/lead/preview", json=_with(owner={"type": "user"}))
    assert preview.status_code == 200, preview.get_json()
    [change] = preview.get_json()["retyped"]
    assert (change["from"], change["to"], change["records"], change["unconvertible"]) == ("text", "user", 4, 2)
    reasons = {r["id"]: r["message"] for r in change["rows"]}
    assert set(reasons) == {leads["l3"], leads["l4"]} and "no user nobody" in reasons[leads["l3"]]
    refused = _put(api, _with(owner={"type": "user"}))
    assert refused.status_code == 422 and str(leads["l3"]) in refused.get_json()["error"]["message"]
    assert _values(api, "owner")["l3"] == "nobody"  # nothing changed
    saved = _put(api, _with(owner={"type": "user"}), clear=True)
    assert saved.status_code == 201, saved.get_json()
    assert _values(api, "owner") == {"l1": "ann", "l2": "bob", "l3": None, "l4": None, "l5": None}
    # the field now behaves as a user: an unknown name is refused on write
    bad = api.post("admin", "/api/v1/records/lead", json={"fields": {"code": "x", "owner": "nobody"}})
    assert bad.status_code == 422


def test_user_to_many_and_back_to_text_and_groups(api: Any, leads: dict[str, int]) -> None:
    many = _put(api, _with(owner={"type": "user", "multiple": True}), clear=True)
    assert many.status_code == 201, many.get_json()
    assert _values(api, "owner") == {"l1": ["ann"], "l2": ["bob"], "l3": None, "l4": ["ann", "bob"], "l5": None}
    text = _put(api, _with(owner={"type": "long_text"}))
    assert text.status_code == 201, text.get_json()
    assert _values(api, "owner")["l4"] == "ann, bob"
    group = _put(api, _with(owner={"type": "long_text"}, team={"type": "group"}), clear=True)
    assert group.status_code == 201, group.get_json()
    assert _values(api, "team") == {"l1": "crew", "l2": "crew", "l3": None, "l4": None, "l5": None}
    to_user = _put(api, _with(owner={"type": "long_text"}, team={"type": "user"}))  # "crew" is no user
    assert to_user.status_code == 422 and to_user.get_json()["error"]["field"] == "team"
    to_relation = _put(api, _with(owner={"type": "long_text"}, team={"type": "relation", "target": "lead"}))
    assert to_relation.status_code == 400 and to_relation.get_json()["error"]["field"] == "team"


def test_user_and_group_convert_into_each_other_by_name(api: Any, leads: dict[str, int]) -> None:
    api.user("ops", groups=("ops",))  # a user and a group of the same name
    api.user("crew")  # likewise
    assert _put(api, _with(owner={"type": "user"}), clear=True).status_code == 201  # ann, bob, ...
    made = api.post("admin", "/api/v1/records/lead", json={"fields": {"code": "l6", "owner": "ops"}})
    assert made.status_code == 201, made.get_json()
    preview = api.post("modeler", "/api/v1/record-types/lead/preview", json=_with(owner={"type": "group"}))
    [change] = preview.get_json()["retyped"]
    assert (change["from"], change["to"], change["records"], change["unconvertible"]) == ("user", "group", 3, 2)
    reasons = {r["id"]: r["message"] for r in change["rows"]}
    assert set(reasons) == {leads["l1"], leads["l2"]} and "no group ann" in reasons[leads["l1"]]
    refused = _put(api, _with(owner={"type": "group"}))
    assert refused.status_code == 422 and str(leads["l1"]) in refused.get_json()["error"]["message"]
    assert _values(api, "owner")["l1"] == "ann"  # nothing changed
    assert _put(api, _with(owner={"type": "group"}), clear=True).status_code == 201
    assert _values(api, "owner") == {"l1": None, "l2": None, "l3": None, "l4": None, "l5": None, "l6": "ops"}
    # a group of many becomes users of many, name by name
    assert _put(api, _with(team={"type": "group", "multiple": True}), clear=True).status_code == 201
    assert _values(api, "team")["l1"] == ["crew"]
    users = _put(api, _with(team={"type": "user", "multiple": True}))
    assert users.status_code == 201, users.get_json()
    assert _values(api, "team")["l1"] == ["crew"] and _values(api, "owner")["l6"] == "ops"
    bad = api.post("admin", "/api/v1/records/lead", json={"fields": {"code": "x", "team": ["nobody"]}})
    assert bad.status_code == 422  # now a user field: names a user or nothing
