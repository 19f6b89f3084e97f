"""Relations, lookups and rollups as chart fields: grouped and added up in SQL through the same correlated
subqueries the record lists use, checked against joins written by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.conftest import data, put, sql
from tests.analytics.test_chart_data import close
from tests.records.linked import make, types


@pytest.fixture
def linked(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    types(api)
    customers = [make(api, "sam", "customer", name=name, region=region)["id"]
                 for name, region in (("Acme", "north"), ("Bolt", "south"), ("Cord", "north"))]
    for i in range(9):
        make(api, "sam", "order", customer=customers[i % 3],
             lines=[{"product": "sofa", "qty": 1, "amount": str(100 * (i + 1))}])
    return api


def _chart(key: str, source: str, dims: list[dict[str, Any]], measures: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "type": "column", "title": {"en": key, "zh": key}, "source": {"kind": "records",
                                                                                        "type": source},
            "dimensions": dims, "measures": measures}


def _dashboard(*charts: dict[str, Any]) -> dict[str, Any]:
    return {"key": "linked", "title": {"en": "Linked", "zh": "关联"}, "viewers": {"roles": ["staff"]},
            "charts": list(charts)}


def test_group_by_a_lookup_a_relation_path_and_sum_a_rollup(linked: Any) -> None:
    total = {"agg": "sum", "field": "total"}
    put(linked, _dashboard(
        _chart("by_lookup", "order", [{"field": "region"}], [total, {"agg": "count"}]),
        _chart("by_path", "order", [{"field": "customer.name"}], [total]),
        _chart("revenue", "customer", [{"field": "region"}], [{"agg": "sum", "field": "revenue"},
                                                              {"agg": "sum", "field": "orders"}])))
    joined = sql(linked, "SELECT c.region, SUM(o.total), COUNT(*) FROM rec_order o JOIN rec_customer c "
                         "ON c.id = o.customer GROUP BY c.region")
    rows = data(linked, "sam", "linked", "by_lookup")["rows"]
    assert {r["region"]: (r["sum_total"], r["count"]) for r in rows}.keys() == {r[0] for r in joined}
    for region, amount, count in joined:
        row = next(r for r in rows if r["region"] == region)
        assert close(row["sum_total"], amount) and row["count"] == count
    assert {r["region@label"] for r in rows} == {"North", "South"}  # the looked-up field's option labels
    by_name = {r[0]: r[1] for r in sql(linked, "SELECT c.name, SUM(o.total) FROM rec_order o JOIN rec_customer c "
                                               "ON c.id = o.customer GROUP BY c.name")}
    body = data(linked, "sam", "linked", "by_path")
    assert body["dimensions"][0]["label"] == "Customer · Name"
    assert {r["customer.name"]: r["sum_total"] for r in body["rows"]}.keys() == by_name.keys()
    assert all(close(r["sum_total"], by_name[r["customer.name"]]) for r in body["rows"])
    rollups = {r[0]: (r[1], r[2]) for r in sql(
        linked, "SELECT c.region, SUM(o.total), COUNT(o.id) FROM rec_customer c JOIN rec_order o "
                "ON o.customer = c.id GROUP BY c.region")}
    for row in data(linked, "sam", "linked", "revenue")["rows"]:
        assert close(row["sum_revenue"], rollups[row["region"]][0]) and row["sum_orders"] == rollups[row["region"]][1]


def test_drill_down_through_a_relation_path(linked: Any) -> None:
    chart = _chart("by_path", "order", [{"field": "customer.name"}], [{"agg": "count"}])
    put(linked, _dashboard({**chart, "drill": {"records": True}}))
    response = linked.get("sam", "/api/v1/dashboards/linked/charts/by_path/records",
                          query_string={"by.customer.name": "Acme"})
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == 3


def test_an_unknown_path_is_refused_at_save(linked: Any) -> None:
    response = put(linked, _dashboard(_chart("bad", "order", [{"field": "customer.nope"}], [{"agg": "count"}])),
                   expect=400)
    error = response.get_json()["error"]
    assert error["chart"] == "bad" and error["field"] == "customer.nope"
