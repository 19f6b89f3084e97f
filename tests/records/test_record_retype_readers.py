"""A field's type change reaches what reads it: the type's formulas are recomputed over every record (and a
record one now fails on refuses the change, naming the formula, the record and the change); another type's
rollup or lookup that could no longer read the field refuses it, naming that field; the preview says both."""

from __future__ import annotations

import copy
from typing import Any

from tests.records.linked import label

PART: dict[str, Any] = {
    "key": "part", "name": label("Part"),
    "fields": [
        {"key": "code", "label": label("Code"), "type": "text"},
        {"key": "ready", "label": label("Ready"), "type": "text"},
        {"key": "qty", "label": label("Qty"), "type": "integer"},
        {"key": "is_ready", "label": label("Is ready"), "type": "formula", "expression": "ready == true",
         "resultType": "boolean"},
        {"key": "shown", "label": label("Shown"), "type": "formula", "expression": "is_ready ? 'go' : 'wait'",
         "resultType": "text"},
        {"key": "double", "label": label("Double"), "type": "formula", "expression": "qty * 2",
         "resultType": "integer"},
    ],
}
KIT: dict[str, Any] = {
    "key": "kit", "name": label("Kit"),
    "fields": [
        {"key": "name", "label": label("Name"), "type": "text"},
        {"key": "part", "label": label("Part"), "type": "relation", "target": "part", "onDelete": "set_null"},
        {"key": "part_code", "label": label("Part code"), "type": "lookup", "relation": "part", "field": "code"},
    ],
}
BIN: dict[str, Any] = {
    "key": "bin", "name": label("Bin"),
    "fields": [{"key": "name", "label": label("Name"), "type": "text"}],
}


def _with(definition: dict[str, Any], **types: str) -> dict[str, Any]:
    body = copy.deepcopy(definition)
    for field in body["fields"]:
        field["type"] = types.get(field["key"], field["type"])
    return body


def _save(api: Any, body: dict[str, Any]) -> Any:
    return api.client.put(f"/api/v1/record-types/{body['key']}", headers=api.headers("modeler"), json=body)


def _parts(api: Any) -> list[dict[str, Any]]:
    body = api.get("admin", "/api/v1/records/part", query_string={"sort": "id"}).get_json()
    return [r["fields"] for r in body["items"]]


def _made(api: Any, type_key: str, **fields: Any) -> int:
    made = api.post("admin", f"/api/v1/records/{type_key}", json={"fields": fields})
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def test_formulas_reading_a_retyped_field_are_recomputed(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    _made(api, "part", code="a", ready="yes", qty=1)
    _made(api, "part", code="b", ready="no", qty=2)
    assert [(p["is_ready"], p["shown"]) for p in _parts(api)] == [(False, "wait"), (False, "wait")]
    preview = api.post("modeler", "/api/v1/record-types/part/preview", json=_with(PART, ready="boolean"))
    [change] = preview.get_json()["retyped"]
    assert change["recomputes"] == ["is_ready", "shown"] and "refused" not in change
    saved = _save(api, _with(PART, ready="boolean"))
    assert saved.status_code == 201, saved.get_json()
    assert [(p["ready"], p["is_ready"], p["shown"]) for p in _parts(api)] == [(True, True, "go"),
                                                                              (False, False, "wait")]


def test_a_formula_failing_after_the_change_refuses_it_naming_formula_and_record(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    first = _made(api, "part", code="a", qty=3)
    refused = _save(api, _with(PART, qty="text"))
    assert refused.status_code == 400, refused.get_json()
    message = refused.get_json()["error"]["message"]
    assert "field 'double'" in message and f"record {first}" in message
    assert "after field 'qty' changes from integer to text" in message
    assert api.get("admin", "/api/v1/record-types/part").get_json()["version"] == 1
    assert _parts(api)[0]["qty"] == 3 and _parts(api)[0]["double"] == 6  # nothing changed


def test_another_types_lookup_or_rollup_refuses_a_change_it_cannot_read(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    assert api.post("modeler", "/api/v1/record-types", json=KIT).status_code == 201
    counted = {**BIN, "fields": [*BIN["fields"],
                                 {"key": "qty_sum", "label": label("Qty"), "type": "rollup", "source": "bin_line",
                                  "via": "bin", "function": "sum", "field": "qty"}]}
    line = {"key": "bin_line", "name": label("Line"), "fields": [
        {"key": "bin", "label": label("Bin"), "type": "relation", "target": "bin", "onDelete": "cascade"},
        {"key": "qty", "label": label("Qty"), "type": "integer"}]}
    assert api.post("modeler", "/api/v1/record-types", json=BIN).status_code == 201
    assert api.post("modeler", "/api/v1/record-types", json=line).status_code == 201
    assert _save(api, counted).status_code == 201
    bin_id = _made(api, "bin", name="b1")
    _made(api, "bin_line", bin=bin_id, qty=4)
    # the sum needs a number: integer -> text is refused naming bin.qty_sum; integer -> decimal is fine
    refused = _save(api, _with(line, qty="text"))
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert "record type 'bin' field 'qty_sum'" in error["message"] and error["field"] == "qty"
    preview = api.post("modeler", "/api/v1/record-types/bin_line/preview", json=_with(line, qty="text"))
    assert "bin.qty_sum" in preview.get_json()["retyped"][0]["refused"]
    assert _save(api, _with(line, qty="decimal")).status_code == 201
    assert api.get("admin", f"/api/v1/records/bin/{bin_id}").get_json()["fields"]["qty_sum"] in ("4", "4.0000", 4)
    # a lookup reads plain fields: text -> multi_select is refused naming kit.part_code
    listed = _with(PART, code="multi_select")
    listed["fields"][0]["options"] = [{"value": "a", "label": label("A")}]
    lookup = _save(api, listed)
    assert lookup.status_code == 400 and "record type 'kit' field 'part_code'" in lookup.get_json()["error"][
        "message"]


def test_one_to_many_reaches_formulas_and_refuses_lookups_of_other_types(api: Any) -> None:
    import copy as _copy

    account = {"key": "acct", "name": label("Account"), "fields": [
        {"key": "owner", "label": label("Owner"), "type": "user"},
        {"key": "mine", "label": label("Mine"), "type": "formula", "expression": "owner == 'ann'",
         "resultType": "boolean"}]}
    deal = {"key": "deal", "name": label("Deal"), "fields": [
        {"key": "acct", "label": label("Account"), "type": "relation", "target": "acct", "onDelete": "set_null"},
        {"key": "acct_owner", "label": label("Owner"), "type": "lookup", "relation": "acct", "field": "owner"}]}
    api.user("ann", roles=("staff",))
    for body in (account, deal):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201
    one = _made(api, "acct", owner="ann")
    _made(api, "deal", acct=one)
    many = _copy.deepcopy(account)
    many["fields"][0]["multiple"] = True
    refused = _save(api, many)  # the lookup could no longer read it: every list of deals would fail
    assert refused.status_code == 400, refused.get_json()
    assert "deal" in refused.get_json()["error"]["message"] and "acct_owner" in refused.get_json()["error"]["message"]
    assert api.get("admin", "/api/v1/records/deal").status_code == 200
    assert _save(api, {**deal, "fields": deal["fields"][:1]}).status_code in (200, 201)
    assert _save(api, many).status_code in (200, 201)
    fields = api.get("admin", f"/api/v1/records/acct/{one}").get_json()["fields"]
    assert fields["owner"] == ["ann"] and fields["mine"] is False  # recomputed: a list is not 'ann'
    # nor may a new lookup read the list of users
    again = api.post("modeler", "/api/v1/record-types", json={**deal, "key": "deal2"})
    assert again.status_code == 400 and again.get_json()["error"]["field"] == "acct_owner", again.get_json()
