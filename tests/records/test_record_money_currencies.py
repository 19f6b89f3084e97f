"""Money with the currency chosen per record: the amount and its ISO code stored exactly in two columns,
validated (a currency outside the field's list, a float-ish amount, half a value refused, nothing
written), filtered per currency (the bare amount is refused across currencies, naming the field), sorted
by currency then amount, and refused where a single currency would be needed (unique, min/max, default,
a change to or from one currency)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

DEAL: dict[str, Any] = {
    "key": "deal", "name": {"en": "Deal", "zh": "交易"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money",
         "currencies": ["CNY", "USD", "EUR"]},
        {"key": "fee", "label": {"en": "Fee", "zh": "费用"}, "type": "money", "currency": "CNY"},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]}],
}


@pytest.fixture
def deals(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    created = api.post("modeler", "/api/v1/record-types", json=DEAL)
    assert created.status_code == 201, created.get_json()
    return api


def _create(api: Any, title: str, price: Any) -> Any:
    return api.post("sam", "/api/v1/records/deal", json={"fields": {"title": title, "price": price}})


def _titles(api: Any, query: str) -> Any:
    response = api.get("sam", f"/api/v1/records/deal?{query}")
    return [r["fields"]["title"] for r in response.get_json()["items"]] if response.status_code == 200 \
        else response


def test_amount_and_currency_are_stored_exactly_and_read_back(deals: Any) -> None:
    made = _create(deals, "A", {"amount": "1234567890123.45", "currency": "USD"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["fields"]["price"] == {"amount": "1234567890123.45", "currency": "USD"}
    with deals.app.extensions["boms_db"].read() as session:
        amount, code = session.execute(text("SELECT price, price__currency FROM rec_deal")).one()
    assert Decimal(str(amount)) == Decimal("1234567890123.45") and code == "USD"  # SQLite: a 15-digit double
    read = deals.get("sam", f"/api/v1/records/deal/{body['id']}").get_json()
    assert read["fields"]["price"] == {"amount": "1234567890123.45", "currency": "USD"}
    # Changing the currency alone is a change, audited with both sides.
    changed = deals.client.patch(f"/api/v1/records/deal/{body['id']}", headers=deals.headers("sam"),
                                 json={"fields": {"price": {"amount": "1234567890123.45", "currency": "EUR"}},
                                       "version": 1})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    same = deals.client.patch(f"/api/v1/records/deal/{body['id']}", headers=deals.headers("sam"),
                              json={"fields": {"price": {"amount": "1234567890123.45", "currency": "EUR"}}})
    assert same.get_json()["version"] == 2  # the same amount and currency: nothing written
    history = deals.get("sam", f"/api/v1/records/deal/{body['id']}/history").get_json()["items"]
    assert history[-1]["changes"]["price"] == {"old": {"amount": "1234567890123.45", "currency": "USD"},
                                               "new": {"amount": "1234567890123.45", "currency": "EUR"}}
    cleared = deals.client.patch(f"/api/v1/records/deal/{body['id']}", headers=deals.headers("sam"),
                                 json={"fields": {"price": None}})
    assert cleared.status_code == 200 and cleared.get_json()["fields"]["price"] is None
    with deals.app.extensions["boms_db"].read() as session:
        assert session.execute(text("SELECT price, price__currency FROM rec_deal")).one() == (None, None)
    assert deals.client.delete(f"/api/v1/records/deal/{body['id']}", headers=deals.headers("sam")).status_code \
        in (200, 204)


@pytest.mark.parametrize("price, problem", [
    ({"amount": "10.00", "currency": "GBP"}, "one of CNY, USD, EUR"),  # not in the field's list
    ({"amount": "10.001", "currency": "USD"}, "price"),  # more decimals than the scale
    ({"amount": "10.00"}, "currency"),  # half a value
    ("10.00", "price"),  # a bare amount: which currency?
    ({"amount": "10", "currency": "USD", "rate": 7}, "price"),
])
def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(deals: Any, price: Any,
                                                                        problem: str) -> None:
    refused = _create(deals, "B", price)
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert [k.split(".")[0] for k in error["fields"]] == ["price"] and problem in str(error)
    assert deals.get("sam", "/api/v1/records/deal").get_json()["total"] == 0


def test_filters_compare_one_currency_and_sorting_groups_by_currency(deals: Any) -> None:
    for title, amount, code in [("cny-big", "9000", "CNY"), ("usd-small", "50", "USD"), ("usd-big", "5000", "USD"),
                                ("eur", "700", "EUR"), ("none", None, None)]:
        price = {"amount": amount, "currency": code} if amount else None
        assert _create(deals, title, price).status_code == 201
    refused = _titles(deals, "filter=price >= 1000")
    assert refused.status_code == 400
    message = refused.get_json()["error"]["message"]
    assert "'price' holds amounts in several currencies" in message and "price.CNY" in message
    assert _titles(deals, "filter=price.USD >= 1000") == ["usd-big"]
    assert sorted(_titles(deals, 'filter=price.currency == "USD"')) == ["usd-big", "usd-small"]
    assert _titles(deals, 'filter=price.currency in ["EUR", "CNY"] %26%26 title != "x"&sort=title') == \
        ["cny-big", "eur"]
    assert _titles(deals, "sort=price") == ["cny-big", "eur", "usd-small", "usd-big", "none"]
    assert _titles(deals, "sort=-price")[:3] == ["usd-big", "usd-small", "eur"]
    # Keyset pages over the same order walk every record once.
    first = deals.get("sam", "/api/v1/records/deal?sort=price&pageSize=2&cursor=").get_json()
    seen = [r["fields"]["title"] for r in first["items"]]
    cursor = first.get("nextCursor")
    while cursor:
        page = deals.get("sam", f"/api/v1/records/deal?sort=price&pageSize=2&cursor={cursor}").get_json()
        seen += [r["fields"]["title"] for r in page["items"]]
        cursor = page.get("nextCursor")
    assert seen == ["cny-big", "eur", "usd-small", "usd-big", "none"]
    assert _titles(deals, "filter=fee >= 0") == []  # a one-currency field still compares as before


@pytest.mark.parametrize("change, message", [
    ({"unique": True}, "cannot have 'unique'"),
    ({"default": {"amount": "1", "currency": "CNY"}}, "cannot have 'default'"),
    ({"validation": {"min": "0"}}, "min/max"),
    ({"currencies": ["CNY", "CNY"]}, "twice"),
    ({"currencies": ["cny"]}, "ISO 4217"),
    ({"currencies": []}, "ISO 4217"),
    ({"currency": "CNY"}, "not both"),
])
def test_definitions_that_would_need_one_currency_are_refused(api: Any, change: dict[str, Any],
                                                              message: str) -> None:
    field = {**DEAL["fields"][1], **change}
    bad = {**DEAL, "fields": [DEAL["fields"][0], field]}
    refused = api.post("modeler", "/api/v1/record-types", json=bad)
    assert refused.status_code == 400 and message in refused.get_json()["error"]["message"], refused.get_json()
    assert "price" in refused.get_json()["error"]["message"]


def test_switching_between_one_currency_and_per_record_is_refused(deals: Any) -> None:
    assert _create(deals, "A", {"amount": "1", "currency": "USD"}).status_code == 201
    saved = deals.get("admin", "/api/v1/record-types/deal").get_json()
    body = {k: v for k, v in saved.items() if k not in ("version", "createdAt", "createdBy", "removedFields")}
    one = {**body, "fields": [body["fields"][0], {**body["fields"][1], "currencies": None}, body["fields"][2]]}
    one["fields"][1] = {k: v for k, v in one["fields"][1].items() if k != "currencies"} | {"currency": "USD"}
    refused = deals.client.put("/api/v1/record-types/deal", json=one, headers=deals.headers("admin"))
    assert refused.status_code == 400 and "currency per record" in refused.get_json()["error"]["message"]
    many = {**body, "fields": [*body["fields"][:2], {**body["fields"][2], "currencies": ["CNY", "USD"]}]}
    many["fields"][2].pop("currency")
    refused = deals.client.put("/api/v1/record-types/deal", json=many, headers=deals.headers("admin"))
    assert refused.status_code == 400 and "'fee'" in refused.get_json()["error"]["message"]
    added = {**body, "fields": [*body["fields"], {"key": "cost", "label": {"en": "Cost", "zh": "成本"},
                                                  "type": "money", "currencies": ["EUR"]}]}
    assert deals.client.put("/api/v1/record-types/deal", json=added, headers=deals.headers("admin")).status_code \
        == 201  # a new per-record field on a table with records: both columns added
    assert deals.get("sam", "/api/v1/records/deal").get_json()["items"][0]["fields"]["cost"] is None


def test_formulas_lookups_rollups_and_relation_paths_never_read_the_bare_amount(deals: Any) -> None:
    def typed(key: str, *fields: dict[str, Any]) -> dict[str, Any]:
        return {"key": key, "name": {"en": key, "zh": key}, "fields": [
            {"key": "deal", "label": {"en": "Deal", "zh": "交易"}, "type": "relation", "target": "deal"}, *fields]}

    formula = {**DEAL, "fields": [*DEAL["fields"], {"key": "double", "label": {"en": "Double", "zh": "双倍"},
                                                    "type": "formula", "expression": "price * 2",
                                                    "resultType": "decimal"}]}
    refused = deals.client.put("/api/v1/record-types/deal", json=formula, headers=deals.headers("admin"))
    assert refused.status_code == 400
    assert "no field 'price' a formula can read" in refused.get_json()["error"]["message"]
    lookup = typed("line", {"key": "deal_price", "label": {"en": "P", "zh": "价"}, "type": "lookup",
                            "relation": "deal", "field": "price"})
    refused = deals.post("modeler", "/api/v1/record-types", json=lookup)
    assert refused.status_code == 400 and "no stored field 'price' to look up" in refused.get_json()["error"]["message"]
    assert deals.post("modeler", "/api/v1/record-types", json=typed("line")).status_code == 201
    rollup = {**DEAL, "fields": [*DEAL["fields"], {"key": "total", "label": {"en": "T", "zh": "合"}, "type": "rollup",
                                                   "source": "line", "via": "deal", "function": "count"}]}
    assert deals.client.put("/api/v1/record-types/deal", json=rollup, headers=deals.headers("admin")).status_code \
        == 201  # a count is fine
    made = _create(deals, "A", {"amount": "5", "currency": "USD"}).get_json()
    assert deals.post("admin", "/api/v1/records/line", json={"fields": {"deal": made["id"]}}).status_code == 201
    path = deals.get("admin", "/api/v1/records/line?filter=deal.price > 1")
    assert path.status_code == 400 and "no field 'deal.price'" in path.get_json()["error"]["message"]
    quote = typed("quote", {"key": "price", "label": {"en": "P", "zh": "价"}, "type": "money",
                            "currencies": ["CNY", "USD"]})
    assert deals.post("modeler", "/api/v1/record-types", json=quote).status_code == 201
    over = {**DEAL, "fields": [*rollup["fields"], {"key": "quoted", "label": {"en": "Q", "zh": "报"},
                                                   "type": "rollup", "source": "quote", "via": "deal",
                                                   "function": "sum", "field": "price"}]}
    refused = deals.client.put("/api/v1/record-types/deal", json=over, headers=deals.headers("admin"))
    assert refused.status_code == 400 and "no number field 'price' to sum" in refused.get_json()["error"]["message"]
    counted = {**over, "fields": [*rollup["fields"], {**over["fields"][-1], "function": "count"}]}
    assert deals.client.put("/api/v1/record-types/deal", json=counted, headers=deals.headers("admin")).status_code \
        == 201
