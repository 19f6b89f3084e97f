"""A money field with a currency per record on the staff pages: the form has an amount and a currency
choice, a refused form keeps both and puts the message beside the right input, the record page and the
grid show the amount with its code, and the grid's amount filter works within a chosen currency only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.test_record_money_currencies import DEAL


@pytest.fixture
def web(api: Any, browser: Any) -> Any:
    api.user("sam", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=DEAL).status_code == 201
    return browser("sam")


def _new(web: Any, title: str, amount: str, code: str) -> Any:
    return web.post("/records/deal/new", {"title": title, "price": amount, "price__currency": code},
                    from_page="/records/deal/new")


def test_form_record_page_and_grid(api: Any, web: Any) -> None:
    form = web.get("/records/deal/new").get_data(as_text=True)
    assert 'name="price"' in form and 'name="price__currency"' in form and "Price: currency" in form
    assert "Fee (CNY)" in form  # a one-currency field keeps its label
    refused = _new(web, "Bad", "12.50", "")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'value="12.50"' in page  # what was typed comes back
    assert api.get("admin", "/api/v1/records/deal").get_json()["total"] == 0
    created = _new(web, "Lathe", "1200.50", "USD")
    assert created.status_code == 302, created.get_data(as_text=True)
    record = api.get("admin", "/api/v1/records/deal").get_json()["items"][0]
    assert record["fields"]["price"] == {"amount": "1200.50", "currency": "USD"}
    shown = web.get(created.headers["Location"]).get_data(as_text=True)
    assert "1,200.50" in shown and "USD" in shown
    edit = web.get(f"/records/deal/{record['id']}/edit").get_data(as_text=True)
    assert 'value="1200.50"' in edit
    saved = web.post(f"/records/deal/{record['id']}/edit", {"title": "Lathe", "price": "99", "price__currency": "EUR",
                                                           "version": "1"},
                     from_page=f"/records/deal/{record['id']}/edit")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    again = api.get("admin", f"/api/v1/records/deal/{record['id']}").get_json()
    assert again["fields"]["price"] == {"amount": "99.00", "currency": "EUR"}
    cleared = web.post(f"/records/deal/{record['id']}/edit", {"title": "Lathe", "price": "", "price__currency": "",
                                                             "version": "2"},
                       from_page=f"/records/deal/{record['id']}/edit")
    assert cleared.status_code == 302
    assert api.get("admin", f"/api/v1/records/deal/{record['id']}").get_json()["fields"]["price"] is None


def test_grid_filters_amounts_within_a_currency(web: Any) -> None:
    for title, amount, code in [("usd-big", "5000", "USD"), ("usd-small", "50", "USD"), ("cny-big", "9000", "CNY")]:
        assert _new(web, title, amount, code).status_code == 302
    grid = web.get("/records/deal").get_data(as_text=True)
    assert 'name="f.price.currency"' in grid and "5,000.00" in grid
    usd_big = web.get("/records/deal?f.price.currency=USD&f.price.min=1000").get_data(as_text=True)
    assert "usd-big" in usd_big and "usd-small" not in usd_big and "cny-big" not in usd_big
    no_currency = web.get("/records/deal?f.price.min=1000").get_data(as_text=True)
    assert "Choose a currency to filter Price by amount." in no_currency
    in_chinese = web.get("/records/deal?f.price.min=1000", headers={"Accept-Language": "zh-CN"})
    assert "请先选择币种" in in_chinese.get_data(as_text=True)
    bad = web.get("/records/deal?f.price.currency=XXX").get_data(as_text=True)
    assert "is not a value for Price" in bad
    raw = web.get("/records/deal?filter=price >= 1").get_data(as_text=True)
    assert "holds amounts in several currencies" in raw
