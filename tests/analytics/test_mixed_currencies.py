"""Charts over a money field whose currency is chosen per record: a sum, average, min or max is made only
grouped by the currency (never one number over different currencies, refused at save naming the chart
and field), a count needs no currency, a filter compares amounts within one currency, and a pivot's grand
total of such a measure is empty rather than a sum across currencies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.conftest import put

DEAL: dict[str, Any] = {
    "key": "deal", "name": {"en": "Deal", "zh": "交易"},
    "fields": [
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "text"},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currencies": ["CNY", "USD"]},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create"]}],
}
# A comparison with null fails the whole filter (the compiler's rule), and price.CNY is null on a USD
# record: so each currency's test is guarded by its currency.
EITHER = 'price.currency == "CNY" && price.CNY >= 200 || price.currency == "USD" && price.USD < 6'
ROWS = [("east", "100.00", "CNY"), ("east", "250.50", "CNY"), ("west", "10.00", "USD"), ("east", "5.25", "USD"),
        ("west", None, None)]


@pytest.fixture
def deals(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=DEAL).status_code == 201
    for region, amount, code in ROWS:
        price = {"amount": amount, "currency": code} if amount else None
        assert api.post("sam", "/api/v1/records/deal", json={"fields": {"region": region, "price": price}}
                        ).status_code == 201
    return api


def _chart(key: str, dims: list[dict[str, Any]], measures: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": "column", "title": {"en": key, "zh": key},
            "source": {"kind": "records", "type": "deal"}, "dimensions": dims, "measures": measures, **extra}


def _board(*charts: dict[str, Any]) -> dict[str, Any]:
    return {"key": "deals", "title": {"en": "Deals", "zh": "交易"}, "viewers": {"roles": ["staff"]},
            "charts": list(charts)}


@pytest.mark.parametrize("agg", ["sum", "avg", "min", "max"])
def test_an_aggregate_across_currencies_is_refused(deals: Any, agg: str) -> None:
    refused = put(deals, _board(_chart("c", [{"field": "region"}], [{"agg": agg, "field": "price"}])), expect=400)
    message = refused.get_json()["error"]["message"]
    assert f"chart 'c': cannot {agg} 'price'" in message and "group the chart by 'price.currency'" in message
    assert deals.get("sam", "/api/v1/dashboards/deals").status_code == 404  # nothing saved


def test_grouped_by_currency_each_currency_adds_up_alone(deals: Any) -> None:
    put(deals, _board({**_chart("c", [{"field": "region"}, {"field": "price.currency"}],
                                [{"agg": "sum", "field": "price"}]), "type": "stacked"},
                      _chart("n", [{"field": "region"}], [{"agg": "count", "field": "price"}]),
                      _chart("f", [{"field": "price.currency"}], [{"agg": "sum", "field": "price"}],
                             filter=EITHER)))
    rows = deals.get("sam", "/api/v1/dashboards/deals/charts/c/data").get_json()["rows"]
    sums = {(r["region"], r["price.currency"]): r["sum_price"] for r in rows}
    assert {k: float(v) for k, v in sums.items() if k[1]} == {("east", "CNY"): 350.5, ("east", "USD"): 5.25,
                                                             ("west", "USD"): 10.0}
    counts = deals.get("sam", "/api/v1/dashboards/deals/charts/n/data").get_json()["rows"]
    assert {r["region"]: r["count_price"] for r in counts} == {"east": 3, "west": 1}
    filtered = deals.get("sam", "/api/v1/dashboards/deals/charts/f/data").get_json()["rows"]
    assert {r["price.currency"]: float(r["sum_price"]) for r in filtered} == {"CNY": 250.5, "USD": 5.25}


def test_a_filter_or_dimension_on_the_bare_amount_is_refused(deals: Any) -> None:
    bare = put(deals, _board(_chart("f", [{"field": "price.currency"}], [{"agg": "count"}], filter="price > 1")),
               expect=400)
    assert "no field 'price'" in bare.get_json()["error"]["message"]
    bins = put(deals, _board({**_chart("h", [{"field": "price", "bins": 5}], [{"agg": "count"}]),
                              "type": "histogram"}), expect=400)
    assert "cannot group by 'price'" in bins.get_json()["error"]["message"]
