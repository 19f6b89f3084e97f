"""Rules over a money field with a currency per record: a condition and an action's value see
``{amount, currency}`` with the amount a number (``record.price.amount > 100 && record.price.currency ==
"USD"``); a condition treating the field as one bare number is refused at save, naming it and what to write."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.conftest import create, get, run_due_jobs, runs, save_rule

DEAL: dict[str, Any] = {
    "key": "deal", "name": {"en": "Deal", "zh": "交易"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currencies": ["CNY", "USD"]},
        {"key": "copy", "label": {"en": "Copy", "zh": "副本"}, "type": "money", "currencies": ["CNY", "USD"]},
        {"key": "big", "label": {"en": "Big", "zh": "大单"}, "type": "boolean"},
        {"key": "doubled", "label": {"en": "Doubled", "zh": "加倍"}, "type": "decimal", "scale": 2},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update"]}],
}
BIG = {
    "key": "big_usd_deal",
    "trigger": {"type": "record", "recordType": "deal", "on": ["created"]},
    "condition": 'record.price.amount > 100 && record.price.currency == "USD"',
    "actions": [{"id": "flag", "type": "update_record",
                 "fields": {"big": True, "doubled": "=record.price.amount * 2", "copy": "=record.price"}}],
}


@pytest.fixture
def deals(rules_api: Any) -> Any:
    assert rules_api.post("modeler", "/api/v1/record-types", json=DEAL).status_code == 201
    return rules_api


def test_a_condition_reads_the_amount_as_a_number_and_the_currency(deals: Any) -> None:
    save_rule(deals, BIG)
    made = {title: create(deals, "deal", title=title, price=price)["id"]
            for title, price in (("usd-120", {"amount": "120.50", "currency": "USD"}),
                                 ("usd-100", {"amount": "100.00", "currency": "USD"}),
                                 ("cny-500", {"amount": "500.00", "currency": "CNY"}),
                                 ("usd-99.99", {"amount": "99.99", "currency": "USD"}))}
    while run_due_jobs(deals.app):
        pass
    statuses = [r["status"] for r in runs(deals, "big_usd_deal")]
    assert statuses and "failed" not in statuses, statuses
    flagged = {title for title, record_id in made.items() if get(deals, "deal", record_id)["fields"].get("big")}
    assert flagged == {"usd-120"}
    fields = get(deals, "deal", made["usd-120"])["fields"]
    assert fields["doubled"] == "241.00" and fields["copy"] == {"amount": "120.50", "currency": "USD"}


@pytest.mark.parametrize("condition", [
    "record.price > 100",
    'record.price.amount > 100 || record.price < 5',
    "record.price + 1 > 2",
    "record.price.value > 100",
    "old.price != new.price.amount",
])
def test_a_condition_treating_the_field_as_a_bare_number_is_refused_at_save(deals: Any, condition: str) -> None:
    rule = {**BIG, "trigger": {**BIG["trigger"], "on": ["created", "updated"]}, "condition": condition}
    refused = deals.post("modeler", "/api/v1/rules", json=rule)
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert error["field"] == "condition"
    assert "'price' holds an amount and its currency" in error["message"]
    assert "price.amount" in error["message"] and "price.currency" in error["message"]


def test_the_pair_itself_may_be_tested_for_null_or_copied(deals: Any) -> None:
    """An empty field is null, as for one currency (comparing null fails the run): test it first."""
    rule = {**BIG, "condition": "record.price != null && record.price.amount >= 0",
            "actions": [{"id": "copy", "type": "update_record", "fields": {"copy": "=record.price"}}]}
    save_rule(deals, rule)
    empty, given = create(deals, "deal", title="none")["id"], create(
        deals, "deal", title="cny", price={"amount": "3.00", "currency": "CNY"})["id"]
    while run_due_jobs(deals.app):
        pass
    statuses = [r["status"] for r in runs(deals, "big_usd_deal")]
    assert "done" in statuses and "failed" not in statuses, statuses
    assert get(deals, "deal", empty)["fields"].get("copy") is None
    assert get(deals, "deal", given)["fields"]["copy"] == {"amount": "3.00", "currency": "CNY"}
    bad_value = {**BIG, "key": "bad_value", "condition": None,
                 "actions": [{"id": "x", "type": "update_record", "fields": {"doubled": "=record.price * 2"}}]}
    refused = deals.post("modeler", "/api/v1/rules", json=bad_value)
    assert refused.status_code == 400 and "'price' holds an amount" in refused.get_json()["error"]["message"]
