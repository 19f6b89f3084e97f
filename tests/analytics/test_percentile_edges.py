"""Percentiles read at their positions (server/analytics/percentiles.py) agree with percentile_cont on the
edge cases: one value, two, ties, NULL values, a group whose values are all NULL, and groups keyed by a date
bucket, a boolean or NULL (both databases; PostgreSQL also against its own percentile_cont)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.analytics.conftest import chart, dashboard, data, dialect, put, sql
from tests.analytics.test_chart_data import _percentile, close

MEASURES = [{"agg": "p90", "field": "amount"}, {"agg": "median", "field": "qty"}, {"agg": "p25", "field": "qty"},
            {"agg": "count"}]


def _rewrite(api: Any, statement: str) -> None:
    with api.app.extensions["boms_db"].write() as session:
        session.execute(text(statement))


def _check(api: Any, dims: list[dict[str, Any]], group: str) -> None:
    put(api, dashboard(chart("p", "table", dims, MEASURES)), expect=None)
    rows = data(api, "fiona", "sales", "p")["rows"]
    values: dict[Any, list[tuple[Any, Any]]] = {}
    for key, amount, qty in sql(api, f"SELECT {group}, amount, qty FROM rec_sale"):
        values.setdefault(key, []).append((amount, qty))
    assert len(rows) == len(values)
    pg = dialect(api) == "postgresql"
    for row in rows:
        key = row[dims[0]["field"]] if dims else None
        own = values[key] if dims else [v for vs in values.values() for v in vs]
        amounts = sorted(float(a) for a, _ in own if a is not None)
        qty = sorted(float(q) for _, q in own if q is not None)
        want = [_percentile(amounts, 0.9) if amounts else None, _percentile(qty, 0.5) if qty else None,
                _percentile(qty, 0.25) if qty else None]
        got = [row["p90_amount"], row["median_qty"], row["p25_qty"]]
        for g, w in zip(got, want, strict=True):
            assert (g is None) == (w is None), (key, got, want)
            if w is not None:
                assert close(g, w), (key, got, want)
    if pg and not dims:
        cont = sql(api, "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY amount), "
                        "percentile_cont(0.5) WITHIN GROUP (ORDER BY qty) FROM rec_sale")[0]
        assert (rows[0]["p90_amount"] is None) == (cont[0] is None)


@pytest.mark.parametrize("case", ["one", "two", "ties", "nulls", "all_null_group"])
def test_percentile_edge_cases_by_region(sales: Any, case: str) -> None:
    if case == "one":
        _rewrite(sales, "DELETE FROM rec_sale WHERE id NOT IN (SELECT min(id) FROM rec_sale GROUP BY region)")
    elif case == "two":
        _rewrite(sales, "DELETE FROM rec_sale WHERE id NOT IN (SELECT min(id) FROM rec_sale GROUP BY region "
                        "UNION SELECT max(id) FROM rec_sale GROUP BY region)")
    elif case == "ties":
        _rewrite(sales, "UPDATE rec_sale SET amount = 5, qty = 3 WHERE id % 2 = 0")
    elif case == "nulls":
        _rewrite(sales, "UPDATE rec_sale SET amount = NULL, qty = NULL WHERE id % 3 = 0")
    else:
        _rewrite(sales, "UPDATE rec_sale SET amount = NULL, qty = NULL WHERE region = 'north'")
    _check(sales, [{"field": "region"}], "region")
    _check(sales, [], "1")


def test_percentiles_grouped_by_null_boolean_and_empty(sales: Any) -> None:
    _rewrite(sales, "UPDATE rec_sale SET paid = NULL WHERE id % 5 = 0")
    _check(sales, [{"field": "paid"}], "paid")
    _rewrite(sales, "DELETE FROM rec_sale")
    put(sales, dashboard(chart("p", "table", [{"field": "region"}], MEASURES)), expect=None)
    assert data(sales, "fiona", "sales", "p")["rows"] == []
    put(sales, dashboard(chart("p", "table", [], MEASURES)), expect=None)
    rows = data(sales, "fiona", "sales", "p")["rows"]
    assert rows[0]["p90_amount"] is None and rows[0]["count"] == 0


def test_percentiles_grouped_by_a_month(sales: Any) -> None:
    put(sales, dashboard(chart("p", "table", [{"field": "signed_on", "bucket": "month"}],
                               [{"agg": "p90", "field": "amount"}, {"agg": "count"}])))
    rows = data(sales, "fiona", "sales", "p")["rows"]
    values: dict[str, list[float]] = {}
    for day, amount in sql(sales, "SELECT signed_on, amount FROM rec_sale"):
        values.setdefault(str(day)[:7], []).append(float(amount))
    assert len(rows) == len(values), rows[:2]
    for row in rows:
        month = str(next(v for k, v in row.items() if k.startswith("signed_on")))[:7]
        assert row["p90_amount"] is not None, row
        assert close(row["p90_amount"], _percentile(sorted(values[month]), 0.9)), row


@pytest.mark.parametrize("field", ["tags", "qty", "amount"])
def test_percentiles_grouped_by_other_kinds(sales: Any, field: str) -> None:
    response = put(sales, dashboard(chart("p", "table", [{"field": field}],
                                          [{"agg": "p90", "field": "amount"}, {"agg": "count"}])), expect=None)
    if response.status_code != 201:
        assert response.status_code == 400, response.get_json()
        return
    got = data(sales, "fiona", "sales", "p")["rows"]
    assert all(r["p90_amount"] is not None for r in got if r["count"]), got[:3]
