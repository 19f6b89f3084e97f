"""The relation picker's search (``/records/<type>/fields/<field>/choices?q=``) under odd input and field
permissions: LIKE wildcards are literal, a huge or strange q is never a 500, a target's hidden field is
neither searched nor shown in the label, row scopes apply to numbers too, a target type one may not read
offers nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.linked import label

SUPPLIER: dict[str, Any] = {
    "key": "supplier", "name": label("Supplier"),
    "fields": [{"key": "secret", "label": label("Secret"), "type": "text"},
               {"key": "name", "label": label("Name"), "type": "text", "required": True}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create"], "fields": ["name"],
                     "rows": {"kind": "own", "field": "created_by"}},
                    {"groups": ["buyers"], "actions": ["read", "create"]}],
}
DEAL: dict[str, Any] = {
    "key": "deal", "name": label("Deal"),
    "fields": [{"key": "title", "label": label("Title"), "type": "text", "required": True},
               {"key": "supplier", "label": label("Supplier"), "type": "relation", "target": "supplier",
                "onDelete": "set_null"}],
    "permissions": [{"roles": ["staff", "worker"], "actions": ["read", "create", "update"]}],
}


@pytest.fixture
def setup(api: Any) -> dict[str, int]:
    api.user("sam", roles=("staff",))
    api.user("bea", roles=("staff",), groups=("buyers",))
    api.user("otto", roles=("worker",))
    for body in (SUPPLIER, DEAL):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201
    ids = {}
    for who, name, secret in (("sam", "100% Oak", "walnut"), ("sam", "a_b Boards", None),
                              ("sam", "Plain Pine", None), ("bea", "Bea's Oak", None)):
        fields = {"name": name, **({"secret": secret} if secret else {})}
        if secret:  # sam may not write the hidden field: bea (who sees it) writes it on sam's record later
            fields.pop("secret")
        made = api.post(who, "/api/v1/records/supplier", json={"fields": fields})
        assert made.status_code == 201, made.get_json()
        ids[name] = made.get_json()["id"]
    patched = api.client.patch(f"/api/v1/records/supplier/{ids['100% Oak']}", headers=api.headers("admin"),
                               json={"fields": {"secret": "walnut"}, "version": 1})
    assert patched.status_code == 200, patched.get_json()
    return ids


def _found(web: Any, q: str) -> list[str]:
    answer = web.get("/records/deal/fields/supplier/choices", query_string={"q": q})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["label"] for item in answer.get_json()["items"]]


def test_like_wildcards_and_odd_characters_are_literal(setup: dict[str, int], browser: Any) -> None:
    web = browser("sam")
    assert _found(web, "%") == [f"#{setup['100% Oak']} 100% Oak"]
    assert _found(web, "_") == [f"#{setup['a_b Boards']} a_b Boards"]
    assert _found(web, "a_b") == [f"#{setup['a_b Boards']} a_b Boards"]
    for odd in ("'", '"', "\\", "' OR 1=1 --", "%_%", "🌲", "ﾟ", "\u202e", "[a-z]*", "${x}", "  "):
        found = _found(web, odd)
        assert odd.strip() == "" or found == [], (odd, found)
    assert len(_found(web, "")) == 3  # an empty search offers the newest one may see


@pytest.mark.parametrize("q", ["x" * 100_000, "oak " * 5000, "#" + "9" * 40, "9" * 18, "#2147483648",
                               "-1", "#0", "1e5", "１２"])
def test_huge_or_odd_input_is_never_a_500(setup: dict[str, int], browser: Any, q: str) -> None:
    answer = browser("sam").get("/records/deal/fields/supplier/choices", query_string={"q": q})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert isinstance(answer.get_json()["items"], list)


def test_a_nul_character_is_a_400(setup: dict[str, int], browser: Any) -> None:
    answer = browser("sam").get("/records/deal/fields/supplier/choices", query_string={"q": "oak\x00"})
    assert answer.status_code == 400


def test_a_hidden_field_of_the_target_is_neither_searched_nor_shown(setup: dict[str, int], browser: Any) -> None:
    oak = setup["100% Oak"]
    assert _found(browser("sam"), "walnut") == []  # sam may not see 'secret'
    assert _found(browser("sam"), "oak") == [f"#{oak} 100% Oak"]  # named by 'name', not the hidden first field
    assert _found(browser("bea"), "walnut") == [f"#{oak} walnut"]  # bea may: her label is the first text field


def test_row_scope_applies_to_numbers_and_unreadable_targets_offer_nothing(setup: dict[str, int],
                                                                          browser: Any) -> None:
    theirs = setup["Bea's Oak"]
    assert _found(browser("sam"), f"#{theirs}") == [] and _found(browser("sam"), str(theirs)) == []
    # bea's label would be 'secret', empty here: the next text field names it (not a bare number)
    assert _found(browser("bea"), f"#{theirs}") == [f"#{theirs} Bea's Oak"]
    assert _found(browser("otto"), "") == []  # otto may read deals, not suppliers
