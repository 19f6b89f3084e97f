"""Two related record types for the tests of relations, lookups, rollups, formulas, auto-numbers, sub-tables."""

from __future__ import annotations

import copy
from typing import Any


def label(en: str) -> dict[str, str]:
    return {"en": en, "zh": en + "（中）"}


CUSTOMER: dict[str, Any] = {
    "key": "customer", "name": label("Customer"),
    "fields": [
        {"key": "name", "label": label("Name"), "type": "text", "required": True, "unique": True},
        {"key": "region", "label": label("Region"), "type": "select",
         "options": [{"value": "north", "label": label("North")}, {"value": "south", "label": label("South")}]},
        {"key": "owner", "label": label("Owner"), "type": "user"},
        {"key": "team", "label": label("Team"), "type": "group"},
        {"key": "helpers", "label": label("Helpers"), "type": "user", "multiple": True},
        {"key": "phone", "label": label("Phone"), "type": "phone"},
        {"key": "discount", "label": label("Discount"), "type": "percent", "validation": {"max": "100"}},
        {"key": "orders", "label": label("Orders"), "type": "rollup", "source": "order", "via": "customer",
         "function": "count"},
        {"key": "revenue", "label": label("Revenue"), "type": "rollup", "source": "order", "via": "customer",
         "function": "sum", "field": "total"},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]}],
}
# saved first without its rollups (the order type does not exist yet), then with them
CUSTOMER_FIRST = {**CUSTOMER, "fields": CUSTOMER["fields"][:7]}

ORDER: dict[str, Any] = {
    "key": "order", "name": label("Order"),
    "fields": [
        {"key": "number", "label": label("Number"), "type": "auto_number", "pattern": "SO-{yyyy}-{0000}"},
        {"key": "customer", "label": label("Customer"), "type": "relation", "target": "customer",
         "onDelete": "restrict"},
        {"key": "region", "label": label("Customer region"), "type": "lookup", "relation": "customer",
         "field": "region"},
        {"key": "lines", "label": label("Lines"), "type": "sub_table", "fields": [
            {"key": "product", "label": label("Product"), "type": "text", "required": True},
            {"key": "qty", "label": label("Quantity"), "type": "integer", "validation": {"min": 1}},
            {"key": "amount", "label": label("Amount"), "type": "money", "currency": "CNY"}]},
        {"key": "total", "label": label("Total"), "type": "rollup", "subTable": "lines", "function": "sum",
         "field": "amount"},
        {"key": "tax", "label": label("Tax"), "type": "formula", "expression": "total * 0.13",
         "resultType": "decimal", "scale": 2},
        {"key": "big", "label": label("Big"), "type": "formula", "expression": "total >= 1000",
         "resultType": "boolean"},
        {"key": "due", "label": label("Due"), "type": "date"},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]}],
}


def types(api: Any, on_delete: str = "restrict") -> None:
    """Save customer, order, and customer again with its rollups over orders."""
    order = copy.deepcopy(ORDER)
    order["fields"][1]["onDelete"] = on_delete
    for definition in (CUSTOMER_FIRST, order, CUSTOMER):
        response = api.post("modeler", "/api/v1/record-types", json=copy.deepcopy(definition))
        assert response.status_code == 201, response.get_json()


def make(api: Any, who: str, type_key: str, expect: int = 201, **fields: Any) -> dict[str, Any]:
    response = api.post(who, f"/api/v1/records/{type_key}", json={"fields": fields})
    assert response.status_code == expect, response.get_json()
    return response.get_json()
