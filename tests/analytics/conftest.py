"""Analytics fixtures: a `sale` record type with generated rows, and helpers to save dashboards."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, text

from server.db import utcnow

REGIONS = ["north", "east", "south", "west"]
PRODUCTS = ["sofa", "table", "cabinet", "bed", "lamp", "rug", "desk"]
SALE: dict[str, Any] = {
    "key": "sale",
    "name": {"en": "Sale", "zh": "销售"},
    "fields": [
        {"key": "product", "label": {"en": "Product", "zh": "产品"}, "type": "text"},
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": r, "label": {"en": r.title(), "zh": r}} for r in REGIONS]},
        {"key": "amount", "label": {"en": "Amount", "zh": "金额"}, "type": "money", "currency": "CNY"},
        {"key": "cost", "label": {"en": "Cost", "zh": "成本"}, "type": "money", "currency": "CNY"},
        {"key": "qty", "label": {"en": "Quantity", "zh": "数量"}, "type": "integer"},
        {"key": "signed_on", "label": {"en": "Signed on", "zh": "签订日期"}, "type": "date"},
        {"key": "paid", "label": {"en": "Paid", "zh": "已付"}, "type": "boolean"},
        {"key": "tags", "label": {"en": "Tags", "zh": "标签"}, "type": "multi_select",
         "options": [{"value": "a", "label": {"en": "A", "zh": "甲"}}]},
    ],
    "permissions": [
        # staff see their own rows only, and never the cost
        {"roles": ["staff"], "actions": ["read"], "fields": ["product", "region", "amount", "qty", "signed_on",
                                                             "paid"], "rows": {"kind": "own", "field": "created_by"}},
        {"groups": ["finance"], "actions": ["read"]},
    ],
}
OWNERS = ["sam", "sue", "bob"]


def sale_rows(count: int = 120, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    rows = []
    for i in range(count):
        amount = Decimal(rng.randint(100, 100000)) / 4
        rows.append({
            "product": PRODUCTS[rng.randrange(len(PRODUCTS))] if i % 17 else None,
            "region": REGIONS[rng.randrange(4)],
            "amount": amount, "cost": (amount * Decimal("0.6")).quantize(Decimal("0.01")),
            "qty": rng.randint(1, 40), "signed_on": start + timedelta(days=rng.randrange(600)),
            "paid": rng.random() < 0.5, "tags": ["a"] if i % 3 else [],
            "version": 1, "created_at": utcnow(), "created_by": OWNERS[i % 3], "updated_at": utcnow(),
            "updated_by": OWNERS[i % 3],
        })
    return rows


@pytest.fixture
def sales(api: Any) -> Any:
    """The API client with the sale type, 120 generated sales, staff users sam/sue/bob and finance fiona."""
    from server.records.storage import table_of
    from server.records.types import latest

    for name in OWNERS:
        api.user(name, roles=("staff",))
    api.user("fiona", roles=("staff",), groups=("finance",))
    response = api.post("modeler", "/api/v1/record-types", json=SALE)
    assert response.status_code == 201, response.get_json()
    with api.app.extensions["boms_db"].write() as session:
        table = table_of(latest(session, "sale").definition)
        session.execute(insert(table), sale_rows())
    return api


def sql(api: Any, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with api.app.extensions["boms_db"].read() as session:
        return [tuple(r) for r in session.execute(text(statement), params)]


def dialect(api: Any) -> str:
    with api.app.extensions["boms_db"].read() as session:
        return session.get_bind().dialect.name


def chart(key: str, kind: str, dims: list[dict[str, Any]], measures: list[dict[str, Any]], **extra: Any
          ) -> dict[str, Any]:
    return {"key": key, "type": kind, "title": {"en": key, "zh": key}, "source": {"kind": "records", "type": "sale"},
            "dimensions": dims, "measures": measures, **extra}


def dashboard(*charts: dict[str, Any], key: str = "sales", **extra: Any) -> dict[str, Any]:
    return {"key": key, "title": {"en": "Sales", "zh": "销售"}, "viewers": {"roles": ["staff"]},
            "charts": list(charts), **extra}


def put(api: Any, body: dict[str, Any], who: str = "modeler", expect: int | None = 201) -> Any:
    response = api.client.put(f"/api/v1/dashboards/{body['key']}", headers=api.headers(who), json=body)
    if expect is not None:
        assert response.status_code == expect, response.get_json()
    return response


def data(api: Any, who: str, key: str, chart_key: str, **params: str) -> dict[str, Any]:
    response = api.get(who, f"/api/v1/dashboards/{key}/charts/{chart_key}/data", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
