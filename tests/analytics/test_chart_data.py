"""Each chart type's data against an independent SQL query over the generated sales (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.analytics.conftest import chart, dashboard, data, dialect, put, sql

SUM = {"agg": "sum", "field": "amount"}
COUNT = {"agg": "count"}


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def by_region(api: Any, aggregate: str = "SUM(amount)") -> dict[str, float]:
    return {r[0]: r[1] for r in sql(api, f"SELECT region, {aggregate} FROM rec_sale GROUP BY region")}


@pytest.mark.parametrize("kind", ["column", "bar", "line", "area", "pie", "donut", "funnel", "treemap", "waterfall",
                                  "radar"])
def test_one_dimension_charts_sum_per_region(sales: Any, kind: str) -> None:
    put(sales, dashboard(chart("c", kind, [{"field": "region"}], [SUM])))
    rows = data(sales, "fiona", "sales", "c")["rows"]
    expected = by_region(sales)
    assert {r["region"]: r["sum_amount"] for r in rows}.keys() == expected.keys()
    assert all(close(r["sum_amount"], expected[r["region"]]) for r in rows)
    assert {r["region@label"] for r in rows} == {"North", "East", "South", "West"}


@pytest.mark.parametrize("kind", ["stacked", "grouped", "percent_stacked", "multi_line", "stacked_area"])
def test_series_charts_by_region_and_paid(sales: Any, kind: str) -> None:
    put(sales, dashboard(chart("c", kind, [{"field": "region"}, {"field": "paid"}], [SUM])))
    rows = data(sales, "fiona", "sales", "c")["rows"]
    expected = {(r[0], bool(r[1])): r[2] for r in sql(sales, "SELECT region, paid, SUM(amount) FROM rec_sale "
                                                             "GROUP BY region, paid")}
    assert {(r["region"], r["paid"]) for r in rows} == set(expected)
    assert all(close(r["sum_amount"], expected[(r["region"], r["paid"])]) for r in rows)


def test_series_from_several_measures_and_dual_axis(sales: Any) -> None:
    put(sales, dashboard(chart("s", "stacked", [{"field": "region"}], [SUM, {"agg": "sum", "field": "cost"}]),
                         chart("d", "dual_axis", [{"field": "region"}], [SUM, {"agg": "avg", "field": "qty"}])))
    stacked = data(sales, "fiona", "sales", "s")["rows"]
    costs = by_region(sales, "SUM(cost)")
    assert all(close(r["sum_cost"], costs[r["region"]]) for r in stacked)
    dual = data(sales, "fiona", "sales", "d")["rows"]
    averages = by_region(sales, "AVG(qty)")
    assert all(close(r["avg_qty"], averages[r["region"]]) for r in dual)


def test_every_aggregate(sales: Any) -> None:
    measures = [{"agg": a, "field": f} for a, f in (("count_distinct", "product"), ("avg", "amount"),
                                                    ("min", "amount"), ("max", "signed_on"), ("sum", "qty"))]
    put(sales, dashboard(chart("t", "table", [{"field": "region"}], [COUNT, *measures])))
    rows = {r["region"]: r for r in data(sales, "fiona", "sales", "t")["rows"]}
    for region, count, distinct, avg, low, high, qty in sql(
            sales, "SELECT region, COUNT(*), COUNT(DISTINCT product), AVG(amount), MIN(amount), MAX(signed_on), "
                   "SUM(qty) FROM rec_sale GROUP BY region"):
        row = rows[region]
        assert row["count"] == count and row["count_distinct_product"] == distinct and row["sum_qty"] == qty
        assert close(row["avg_amount"], avg) and close(row["min_amount"], low)
        assert str(row["max_signed_on"])[:10] == str(high)[:10]


def _percentile(values: list[float], fraction: float) -> float:
    values = sorted(values)
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def test_box_plot_and_percentiles(sales: Any) -> None:
    put(sales, dashboard(chart("b", "box", [{"field": "region"}], [{"agg": "box", "field": "amount"}]),
                         chart("p", "table", [], [{"agg": "median", "field": "qty"}, {"agg": "p90", "field": "qty"}])))
    rows = data(sales, "fiona", "sales", "b")["rows"]
    values: dict[str, list[float]] = {}
    for region, amount in sql(sales, "SELECT region, amount FROM rec_sale"):
        values.setdefault(region, []).append(float(amount))
    for row in rows:
        own = values[row["region"]]
        assert close(row["min_amount"], min(own)) and close(row["max_amount"], max(own))
        for part, fraction in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
            assert close(row[f"{part}_amount"], _percentile(own, fraction))
    if dialect(sales) == "postgresql":  # the database's own percentile_cont agrees with BOMS's SQLite path
        median, p90 = sql(sales, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY qty), "
                                 "percentile_cont(0.9) WITHIN GROUP (ORDER BY qty) FROM rec_sale")[0]
    else:
        qty = [float(r[0]) for r in sql(sales, "SELECT qty FROM rec_sale")]
        median, p90 = _percentile(qty, 0.5), _percentile(qty, 0.9)
    table = data(sales, "fiona", "sales", "p")["rows"][0]
    assert close(table["median_qty"], median) and close(table["p90_qty"], p90)


def test_date_buckets(sales: Any) -> None:
    charts = [chart(unit, "line", [{"field": "signed_on", "bucket": unit}], [COUNT])
              for unit in ("day", "week", "month", "quarter", "year")]
    put(sales, dashboard(*charts))
    days = [str(r[0])[:10] for r in sql(sales, "SELECT signed_on FROM rec_sale")]
    from datetime import date, timedelta

    def first(day: str, unit: str) -> str:
        d = date.fromisoformat(day)
        if unit == "week":
            d -= timedelta(days=d.weekday())
        elif unit == "month":
            d = d.replace(day=1)
        elif unit == "quarter":
            d = d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)
        elif unit == "year":
            d = d.replace(month=1, day=1)
        return d.isoformat()

    for unit in ("day", "week", "month", "quarter", "year"):
        expected: dict[str, int] = {}
        for day in days:
            expected[first(day, unit)] = expected.get(first(day, unit), 0) + 1
        rows = data(sales, "fiona", "sales", unit)["rows"]
        assert {r[f"signed_on:{unit}"]: r["count"] for r in rows} == expected, unit
        assert [r[f"signed_on:{unit}"] for r in rows] == sorted(expected)  # chronological
    quarter = data(sales, "fiona", "sales", "quarter")["rows"][0]["signed_on:quarter@label"]
    assert quarter == "2025-Q1"


def test_top_n_with_others(sales: Any) -> None:
    put(sales, dashboard(chart("top", "bar", [{"field": "product"}], [SUM, {"agg": "avg", "field": "qty"}], top=3,
                               others=True)))
    rows = data(sales, "fiona", "sales", "top")["rows"]
    ranked = sql(sales, "SELECT product, SUM(amount) FROM rec_sale GROUP BY product ORDER BY 2 DESC")
    assert [r["product"] for r in rows[:3]] == [r[0] for r in ranked[:3]]
    keep = [r[0] for r in ranked[:3] if r[0] is not None]
    rest_sum, rest_avg = sql(sales, "SELECT SUM(amount), AVG(qty) FROM rec_sale WHERE product IS NULL OR product "
                                    "NOT IN (:a, :b, :c)", a=keep[0], b=keep[1], c=keep[2])[0]
    others = rows[3]
    assert others["product"] == "__others__" and others["product@label"] == "Others"
    assert close(others["sum_amount"], rest_sum) and close(others["avg_qty"], rest_avg)  # exact, not summed


def test_scatter_bubble_heatmap_pivot(sales: Any) -> None:
    put(sales, dashboard(
        chart("sc", "scatter", [{"field": "product"}], [SUM, {"agg": "sum", "field": "qty"}]),
        chart("bu", "bubble", [{"field": "product"}], [SUM, {"agg": "sum", "field": "qty"}, COUNT]),
        chart("hm", "heatmap", [{"field": "region"}, {"field": "signed_on", "bucket": "year"}], [COUNT]),
        chart("pv", "pivot", [{"field": "region"}, {"field": "paid"}], [SUM])))
    expected = {r[0]: (r[1], r[2], r[3]) for r in sql(sales, "SELECT product, SUM(amount), SUM(qty), COUNT(*) "
                                                             "FROM rec_sale GROUP BY product")}
    for row in data(sales, "fiona", "sales", "bu")["rows"]:
        amount, qty, count = expected[row["product"]]
        assert close(row["sum_amount"], amount) and row["sum_qty"] == qty and row["count"] == count
    assert len(data(sales, "fiona", "sales", "sc")["rows"]) == len(expected)
    heat = data(sales, "fiona", "sales", "hm")["rows"]
    years = sql(sales, "SELECT region, COUNT(*) FROM rec_sale WHERE signed_on < :d GROUP BY region", d="2026-01-01")
    assert {r["region"]: r["count"] for r in heat if r["signed_on:year"] == "2025-01-01"} == dict(years)
    pivot = data(sales, "fiona", "sales", "pv")
    totals = pivot["totals"]
    assert close(totals["grand"]["sum_amount"], sql(sales, "SELECT SUM(amount) FROM rec_sale")[0][0])
    per_region = by_region(sales)
    assert all(close(t["sum_amount"], per_region[t["value"]]) for t in totals["rows"])
    per_paid = {bool(r[0]): r[1] for r in sql(sales, "SELECT paid, SUM(amount) FROM rec_sale GROUP BY paid")}
    assert all(close(t["sum_amount"], per_paid[t["value"]]) for t in totals["columns"])


def test_histogram(sales: Any) -> None:
    put(sales, dashboard(chart("h", "histogram", [{"field": "qty", "bins": 4}], [COUNT])))
    body = data(sales, "fiona", "sales", "h")
    low, high = sql(sales, "SELECT MIN(qty), MAX(qty) FROM rec_sale")[0]
    width = (high - low) / 4
    counts = [0] * 4
    for (qty,) in sql(sales, "SELECT qty FROM rec_sale"):
        counts[min(int((qty - low) // width), 3)] += 1
    assert [r["count"] for r in body["rows"]] == counts
    assert body["bins"][0][0] == low and body["bins"][-1][1] == high


def test_kpi_gauge_progress(sales: Any) -> None:
    put(sales, dashboard(chart("k", "kpi", [], [SUM, {"agg": "sum", "field": "cost"}]),
                         chart("g", "gauge", [], [SUM], target=10_000_000),
                         chart("p", "progress", [], [COUNT], target=1000,
                               compare={"field": "signed_on", "period": "year"})))
    total, cost = sql(sales, "SELECT SUM(amount), SUM(cost) FROM rec_sale")[0]
    kpi = data(sales, "fiona", "sales", "k")["kpi"]
    assert close(kpi["value"], total) and close(kpi["target"], cost)
    assert data(sales, "fiona", "sales", "g")["kpi"]["target"] == 10_000_000
    from server.db import utcnow

    year = utcnow().year
    this, last = (sql(sales, "SELECT COUNT(*) FROM rec_sale WHERE signed_on >= :a AND signed_on < :b",
                      a=f"{y}-01-01", b=f"{y + 1}-01-01")[0][0] for y in (year, year - 1))
    progress = data(sales, "fiona", "sales", "p")["kpi"]
    assert progress["value"] == this and progress["previous"] == last


def test_chart_filter_dashboard_filters_and_drill(sales: Any) -> None:
    body = dashboard(chart("c", "column", [{"field": "region"}], [SUM], filter="qty >= 10",
                           drill={"chart": "d"}),
                     chart("d", "column", [{"field": "product"}], [SUM]),
                     filters=[{"key": "period", "kind": "date_range", "field": "signed_on",
                               "label": {"en": "Period", "zh": "期间"}},
                              {"key": "region", "kind": "select", "field": "region",
                               "label": {"en": "Region", "zh": "区域"}},
                              {"key": "mine", "kind": "me", "field": "created_by",
                               "label": {"en": "Mine", "zh": "我的"}}])
    put(sales, body)
    rows = data(sales, "fiona", "sales", "c", **{"period.from": "2025-03-01", "period.to": "2025-06-30"})["rows"]
    expected = {r[0]: r[1] for r in sql(sales, "SELECT region, SUM(amount) FROM rec_sale WHERE qty >= 10 AND "
                                               "signed_on >= :a AND signed_on <= :b GROUP BY region",
                                        a="2025-03-01", b="2025-06-30")}
    assert {r["region"]: r["sum_amount"] for r in rows}.keys() == expected.keys()
    assert all(close(r["sum_amount"], expected[r["region"]]) for r in rows)
    drilled = data(sales, "fiona", "sales", "d", **{"by.region": "north", "mine": "1"})["rows"]
    expected = {r[0]: r[1] for r in sql(sales, "SELECT product, SUM(amount) FROM rec_sale WHERE region = 'north' "
                                               "AND created_by = 'fiona' GROUP BY product")}
    assert {r["product"]: r["sum_amount"] for r in drilled} == expected  # fiona created none: empty
    drilled = data(sales, "fiona", "sales", "d", **{"by.region": "north", "region": "north",
                                                   "by.signed_on:month": "2025-02-01"})["rows"]
    expected = {r[0]: r[1] for r in sql(sales, "SELECT product, SUM(amount) FROM rec_sale WHERE region = 'north' "
                                               "AND signed_on >= '2025-02-01' AND signed_on < '2025-03-01' "
                                               "GROUP BY product")}
    assert {r["product"]: r["sum_amount"] for r in drilled}.keys() == expected.keys()
    bad = sales.get("fiona", "/api/v1/dashboards/sales/charts/c/data?colour=red")
    assert bad.status_code == 400 and "colour" in bad.get_json()["error"]["message"]
    bad = sales.get("fiona", "/api/v1/dashboards/sales/charts/c/data?period.from=yesterday")
    assert bad.status_code == 400 and "period.from" in bad.get_json()["error"]["message"]


@pytest.mark.parametrize("walked", [24, 0])
def test_percentiles_read_at_their_positions_or_sorted_whole_agree(sales: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   walked: int) -> None:
    """Few groups: the two values around each percentile's position are read (percentiles.py); many: sorted
    whole. Both give percentile_cont's value, the empty group (no product) included."""
    from server.analytics import aggregate

    monkeypatch.setattr(aggregate, "MAX_WALKED_GROUPS", walked)
    put(sales, dashboard(chart("p", "table", [{"field": "product"}],
                               [{"agg": "p90", "field": "amount"}, {"agg": "count"}, {"agg": "median", "field": "qty"},
                                {"agg": "p25", "field": "amount"}])))
    values: dict[Any, list[tuple[float, float]]] = {}
    for product, amount, qty in sql(sales, "SELECT product, amount, qty FROM rec_sale"):
        values.setdefault(product, []).append((float(amount), float(qty)))
    rows = data(sales, "fiona", "sales", "p")["rows"]
    assert {r["product"] for r in rows} == set(values) and None in values
    for row in rows:
        own = values[row["product"]]
        assert row["count"] == len(own)
        assert close(row["p90_amount"], _percentile([a for a, _ in own], 0.9))
        assert close(row["p25_amount"], _percentile([a for a, _ in own], 0.25))
        assert close(row["median_qty"], _percentile([q for _, q in own], 0.5))
