"""The grid's bulk form for a money field with a currency per record (an amount and a currency choice, one
value), relations picked by searching the target's records (only those the reader may see), and the kinds
it does not offer (attachments, sub-tables: edited on the record's page, refused in bulk naming the field)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.records.linked import label
from tests.records.test_record_bulk_edit import _made

SUPPLIER: dict[str, Any] = {
    "key": "supplier", "name": label("Supplier"),
    "fields": [{"key": "name", "label": label("Name"), "type": "text", "required": True}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create"],
                     "rows": {"kind": "own", "field": "created_by"}}],
}
DEAL: dict[str, Any] = {
    "key": "deal", "name": label("Deal"),
    "fields": [
        {"key": "title", "label": label("Title"), "type": "text", "required": True},
        {"key": "price", "label": label("Price"), "type": "money", "currencies": ["CNY", "USD"]},
        {"key": "supplier", "label": label("Supplier"), "type": "relation", "target": "supplier",
         "onDelete": "set_null"},
        {"key": "backups", "label": label("Backups"), "type": "relation", "target": "supplier", "multiple": True,
         "onDelete": "set_null"},
        {"key": "drawing", "label": label("Drawing"), "type": "attachment"},
        {"key": "lines", "label": label("Lines"), "type": "sub_table",
         "fields": [{"key": "what", "label": label("What"), "type": "text"}]},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete", "bulk"]}],
}


@pytest.fixture
def deals(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("ann", roles=("staff",))
    for body in (SUPPLIER, DEAL):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201
    return api


def _fields(api: Any, record_id: int) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/records/deal/{record_id}").get_json()["fields"]


def _bulk(web: Any, data: dict[str, Any]) -> str:
    answer = web.post("/records/deal/bulk", data, from_page="/records/deal", follow_redirects=True)
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


def test_a_money_field_with_a_currency_per_record_is_set_with_its_currency(deals: Any, browser: Any) -> None:
    one, two = _made(deals, "sam", "deal", title="a"), _made(deals, "sam", "deal", title="b")
    web = browser("sam")
    page = web.get("/records/deal").get_data(as_text=True)
    assert 'name="currency.price"' in page and '<option value="USD">USD</option>' in page
    rows = {"row": [str(one), str(two)], "action": "edit", "field": "price"}
    text = _bulk(web, {**rows, "value.price": "120.50", "currency.price": "USD"})
    assert "2 records changed." in text, text[:3000]
    assert _fields(deals, one)["price"] == _fields(deals, two)["price"] == {"amount": "120.50", "currency": "USD"}
    refused = _bulk(web, {**rows, "value.price": "99", "currency.price": ""})  # half a value: nothing written
    assert "Nothing was changed" in refused and _fields(deals, one)["price"]["amount"] == "120.50"
    _bulk(web, {**rows, "value.price": "", "currency.price": ""})  # both empty: cleared
    assert _fields(deals, one).get("price") is None


def test_the_api_bulk_edit_takes_an_amount_with_its_currency(deals: Any) -> None:
    one = _made(deals, "sam", "deal", title="a")
    done = deals.post("sam", "/api/v1/records/deal/bulk-edit",
                      json={"ids": [one], "set": {"price": {"amount": "7.25", "currency": "CNY"}}})
    assert done.status_code == 200, done.get_json()
    assert _fields(deals, one)["price"] == {"amount": "7.25", "currency": "CNY"}
    bare = deals.post("sam", "/api/v1/records/deal/bulk-edit", json={"ids": [one], "set": {"price": "7.25"}})
    assert bare.status_code == 422 and _fields(deals, one)["price"]["amount"] == "7.25"


def test_the_relation_picker_searches_only_records_the_reader_may_see(deals: Any, browser: Any) -> None:
    oak = _made(deals, "sam", "supplier", name="Oak Timber")
    _made(deals, "sam", "supplier", name="Pine Boards")
    theirs = _made(deals, "ann", "supplier", name="Oak of Ann")  # outside sam's rows (own records only)
    one = _made(deals, "sam", "deal", title="a")
    web = browser("sam")
    page = web.get("/records/deal").get_data(as_text=True)
    assert 'data-testid="bulk-picker-supplier"' in page and "record_picker.js" in page
    found = web.get("/records/deal/fields/supplier/choices?q=oak").get_json()["items"]
    assert found == [{"id": oak, "label": f"#{oak} Oak Timber"}]
    assert web.get(f"/records/deal/fields/supplier/choices?q=%23{theirs}").get_json()["items"] == []
    assert len(web.get("/records/deal/fields/backups/choices?q=").get_json()["items"]) == 2
    assert web.get("/records/deal/fields/title/choices?q=x").status_code == 400
    assert web.get("/records/nope/fields/supplier/choices?q=x").status_code == 404
    # what the picker posts: one value.<key> per chosen record
    pine = web.get("/records/deal/fields/backups/choices?q=pine").get_json()["items"][0]["id"]
    text = _bulk(web, {"row": [str(one)], "action": "edit", "field": "backups", "mode.backups": "set",
                       "value.backups": [str(oak), str(pine)]})
    assert "1 records changed." in text or "1 record" in text, text[:3000]
    assert sorted(_fields(deals, one)["backups"]) == sorted([oak, pine])
    _bulk(web, {"row": [str(one)], "action": "edit", "field": "supplier", "value.supplier": str(oak)})
    assert _fields(deals, one)["supplier"] == oak


def test_attachments_and_sub_tables_are_not_offered_and_refused_naming_the_field(deals: Any, browser: Any) -> None:
    one = _made(deals, "sam", "deal", title="a")
    page = browser("sam").get("/records/deal").get_data(as_text=True)
    bulk_form = page[page.index('id="bulk-form"'):page.index("</form>", page.index('id="bulk-form"'))]
    assert 'value="price"' in bulk_form and 'value="supplier"' in bulk_form
    assert 'value="drawing"' not in bulk_form and 'value="lines"' not in bulk_form
    assert 'name="value.drawing"' not in bulk_form and 'name="value.lines"' not in bulk_form
    for key, kind in (("drawing", "an attachment"), ("lines", "a sub-table")):
        refused = deals.post("sam", "/api/v1/records/deal/bulk-edit", json={"ids": [one], "set": {key: None}})
        assert refused.status_code == 400 and f"'{key}' is {kind}" in refused.get_json()["error"]["message"]


@pytest.mark.parametrize("typed", ["2147483648", "#99999999999999999", "0"])
def test_a_record_number_out_of_range_in_bulk_is_refused_not_a_500(deals: Any, browser: Any, typed: str) -> None:
    one = _made(deals, "sam", "deal", title="a")
    web = browser("sam")
    answer = web.post("/records/deal/bulk", {"row": [str(one)], "action": "edit", "field": "supplier",
                                             "value.supplier": typed}, from_page="/records/deal",
                      follow_redirects=True)
    assert answer.status_code in (200, 400, 422), answer.get_data(as_text=True)[:500]
    assert _fields(deals, one).get("supplier") is None
