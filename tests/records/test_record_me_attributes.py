"""``$me.<attribute>`` beyond the department — groups, manager, id, username, email, approval limit — in
row-scope conditions (the database side for lists, the Python side for a create) and in list filters; an
unknown attribute is refused naming it when the type, a filter or a view is given."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

CLAIM: dict[str, Any] = {
    "key": "claim", "name": {"en": "Claim", "zh": "报销"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "team", "label": {"en": "Team", "zh": "团队"}, "type": "text"},
        {"key": "approver", "label": {"en": "Approver", "zh": "审批人"}, "type": "text"},
        {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "decimal", "scale": 2},
        {"key": "contact", "label": {"en": "Contact", "zh": "联系人"}, "type": "email"},
        {"key": "owner_id", "label": {"en": "Owner id", "zh": "负责人编号"}, "type": "integer"},
    ],
    "permissions": [
        {"roles": ["staff"], "actions": ["read", "create"],
         "rows": {"kind": "condition",
                  "condition": "team in $me.groups || approver == $me.manager || \"auditors\" in $me.groups"}},
    ],
}
# title -> (team, approver, amount)
CLAIMS = {"blue-1": ("blue", "zoe", "50"), "red-1": ("red", "yan", "900"), "red-2": ("red", "zoe", "20"),
          "none": (None, None, None)}
# ann: group blue, manager zoe; bob: group red, manager none; cat: group auditors (sees all)
USERS = {"ann": (("blue",), "zoe"), "bob": (("red",), None), "cat": (("auditors",), None)}
REACH = {"ann": {"blue-1", "red-2"}, "bob": {"red-1", "red-2"}, "cat": set(CLAIMS)}


@pytest.fixture
def claims(api: Any) -> Any:
    from server.models import User

    for boss in ("zoe", "yan"):
        api.user(boss, roles=("staff",))
    for name, (groups, manager) in USERS.items():
        api.user(name, roles=("staff",), groups=groups, manager=manager)
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(User).where(User.username == "ann").values(
            approval_limit=Decimal("100.00"), email="ann@example.com"))
    assert api.post("modeler", "/api/v1/record-types", json=CLAIM).status_code == 201
    for title, (team, approver, amount) in CLAIMS.items():
        made = api.post("admin", "/api/v1/records/claim", json={"fields": {
            "title": title, "team": team, "approver": approver, "amount": amount,
            "contact": "ann@example.com" if title == "blue-1" else None}})
        assert made.status_code == 201, made.get_json()
    return api


def _titles(api: Any, who: str, filter_text: str | None = None) -> set[str]:
    answer = api.get(who, "/api/v1/records/claim", query_string={"filter": filter_text} if filter_text else {})
    assert answer.status_code == 200, answer.get_json()
    return {r["fields"]["title"] for r in answer.get_json()["items"]}


@pytest.mark.parametrize("who", sorted(USERS))
def test_a_condition_on_groups_and_manager_decides_the_rows(claims: Any, who: str) -> None:
    assert _titles(claims, who) == REACH[who]


def test_a_create_is_judged_by_the_same_condition(claims: Any) -> None:
    inside = claims.post("ann", "/api/v1/records/claim", json={"fields": {"title": "mine", "team": "blue"}})
    assert inside.status_code == 201, inside.get_json()
    by_manager = claims.post("ann", "/api/v1/records/claim", json={"fields": {"title": "z", "approver": "zoe"}})
    assert by_manager.status_code == 201, by_manager.get_json()
    outside = claims.post("ann", "/api/v1/records/claim", json={"fields": {"title": "theirs", "team": "red"}})
    assert outside.status_code == 400 and "outside your rows" in outside.get_json()["error"]["message"]
    # bob has no manager: his empty manager matches no record without an approver
    nobody = claims.post("bob", "/api/v1/records/claim", json={"fields": {"title": "x", "team": "green"}})
    assert nobody.status_code == 400


def test_filters_read_the_same_attributes(claims: Any) -> None:
    from server.models import User

    with claims.app.extensions["boms_db"].read() as session:
        ann_id = session.query(User.id).filter(User.username == "ann").scalar()
    assert _titles(claims, "cat", "amount <= $me.approvalLimit") == set()  # cat has no limit: no row
    assert _titles(claims, "ann", "amount <= $me.approvalLimit") == {"blue-1", "red-2"}
    assert _titles(claims, "ann", "approver == $me.manager") == {"blue-1", "red-2"}
    assert _titles(claims, "ann", "contact == $me.email") == {"blue-1"}
    assert _titles(claims, "cat", "team in $me.groups") == set()
    assert _titles(claims, "admin", "approver == $me.manager") == set()  # no manager: empty text, no null match
    assert _titles(claims, "ann", "team != null && $me.username == \"ann\"") == {"blue-1", "red-2"}
    assert _titles(claims, "ann", f"owner_id == $me.id || {ann_id} == $me.id") == {"blue-1", "red-2"}


def test_an_unknown_attribute_is_refused_naming_it(claims: Any) -> None:
    bad = {**CLAIM, "permissions": [{"roles": ["staff"], "actions": ["read"],
                                     "rows": {"kind": "condition", "condition": "team == $me.salary"}}]}
    saved = claims.client.put("/api/v1/record-types/claim", headers=claims.headers("modeler"), json=bad)
    assert saved.status_code == 400 and "'$me.salary'" in saved.get_json()["error"]["message"]
    assert "$me.manager" in saved.get_json()["error"]["message"]
    listed = claims.get("ann", "/api/v1/records/claim", query_string={"filter": "team == $me.salary"})
    assert listed.status_code == 400 and "'$me.salary'" in listed.get_json()["error"]["message"]
    view = claims.post("ann", "/api/v1/records/claim/views", json={"name": "v", "filter": "team == $me.salary"})
    assert view.status_code == 400 and "'$me.salary'" in view.get_json()["error"]["message"]
    sorted_by_me = claims.get("ann", "/api/v1/records/claim", query_string={"sort": "$me.groups"})
    assert sorted_by_me.status_code == 400


@pytest.mark.parametrize("condition", ["$me.groups", "!$me.roles", "$me.groups == $me.roles",
                                       "[\"blue\"] == $me.groups", "team == null || $me.groups"])
def test_a_list_attribute_used_as_a_condition_or_compared_is_a_400(claims: Any, condition: str) -> None:
    listed = claims.get("ann", "/api/v1/records/claim", query_string={"filter": condition})
    assert listed.status_code == 400, listed.get_json()
    assert listed.get_json()["error"]["field"] == "filter"
    bad = {**CLAIM, "permissions": [{"roles": ["staff"], "actions": ["read"],
                                     "rows": {"kind": "condition", "condition": condition}}]}
    saved = claims.client.put("/api/v1/record-types/claim", headers=claims.headers("modeler"), json=bad)
    assert saved.status_code == 400, saved.get_json()
