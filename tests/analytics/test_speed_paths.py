"""The shortcuts that make a dashboard cheap give the same answers as the plain queries (SQLite and PostgreSQL):
top N with "others" folded from one grouping, both KPI periods in one query, the covering indexes that
follow the live dashboards, and Bokeh documents remembered by their rows."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import event, inspect, text

from tests.analytics.conftest import SALE, chart, dashboard, data, put, sql
from tests.analytics.test_chart_data import close

SUM = {"agg": "sum", "field": "amount"}


def _statements(api: Any, call: Any) -> list[str]:
    seen: list[str] = []
    engine = api.app.extensions["boms_db"].engine

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return [s for s in seen if "rec_sale" in s]


def _rest(api: Any, keep: list[Any], aggregate: str) -> Any:
    named = [k for k in keep if k is not None]
    marks = ", ".join(f":k{i}" for i in range(len(named)))
    where = f"product NOT IN ({marks})" if named else "1 = 1"
    where = f"product IS NOT NULL AND {where}" if None in keep else f"(product IS NULL OR {where})"
    return sql(api, f"SELECT {aggregate} FROM rec_sale WHERE {where}", **{f"k{i}": k for i, k in enumerate(named)})[0]


@pytest.mark.parametrize("top", [1, 3, 7, 20])
def test_top_with_others_folded_from_one_grouping(sales: Any, top: int) -> None:
    measures = [SUM, {"agg": "count"}, {"agg": "min", "field": "qty"}, {"agg": "max", "field": "amount"},
                {"agg": "avg", "field": "qty"}]
    put(sales, dashboard(chart("top", "bar", [{"field": "product"}], measures, top=top, others=True)))
    body: dict[str, Any] = {}
    statements = _statements(sales, lambda: body.update(data(sales, "fiona", "sales", "top")))
    assert len(statements) == 1, statements  # one grouping, no second query for "others"
    rows = body["rows"]
    ranked = sql(sales, "SELECT product, SUM(amount) FROM rec_sale GROUP BY product ORDER BY 2 DESC")
    keep = [r[0] for r in ranked[:top]]
    assert [r["product"] for r in rows[:top]] == keep
    if top >= len(ranked):
        assert all(r["product"] != "__others__" for r in rows)  # nothing left over: no "others" row
        return
    expected = _rest(sales, keep, "SUM(amount), COUNT(*), MIN(qty), MAX(amount), AVG(qty)")
    others = rows[top]
    assert others["product"] == "__others__"
    got = [others[k] for k in ("sum_amount", "count", "min_qty", "max_amount", "avg_qty")]
    assert all(close(a, b) for a, b in zip(got, expected, strict=True)), (got, expected)


def test_top_with_others_of_a_distinct_count_asks_the_database_again(sales: Any) -> None:
    put(sales, dashboard(chart("top", "bar", [{"field": "product"}],
                               [{"agg": "count_distinct", "field": "region"}, SUM], top=2, others=True)))
    body: dict[str, Any] = {}
    statements = _statements(sales, lambda: body.update(data(sales, "fiona", "sales", "top")))
    assert len(statements) == 2  # a distinct count of the rest cannot be added up from the groups
    keep = [r["product"] for r in body["rows"][:2]]
    distinct, total = _rest(sales, keep, "COUNT(DISTINCT region), SUM(amount)")
    assert body["rows"][2]["count_distinct_region"] == distinct and close(body["rows"][2]["sum_amount"], total)


def test_kpi_periods_in_one_query(sales: Any) -> None:
    put(sales, dashboard(chart("k", "kpi", [], [SUM, {"agg": "count"}], compare={"field": "signed_on",
                                                                                 "period": "month"})))
    with sales.app.extensions["boms_db"].write() as session:  # rows in this month and the last one
        session.execute(text("UPDATE rec_sale SET signed_on = CURRENT_DATE WHERE id % 5 = 0"))
    body: dict[str, Any] = {}
    statements = _statements(sales, lambda: body.update(data(sales, "fiona", "sales", "k")))
    assert len(statements) == 1
    first, last = body["kpi"]["period"]
    value, count = sql(sales, "SELECT SUM(amount), COUNT(*) FROM rec_sale WHERE signed_on >= :a AND signed_on < :b",
                       a=first, b=last)[0]
    assert close(body["kpi"]["value"], value) and count > 0


def _ours(api: Any) -> dict[str, list[str]]:
    with api.app.extensions["boms_db"].read() as session:
        indexes = inspect(session.connection()).get_indexes("rec_sale")
    return {i["name"]: i["column_names"] for i in indexes if i["name"].startswith("ixa_")}


def test_covering_indexes_follow_the_live_dashboards(sales: Any) -> None:
    filters = [{"key": "period", "kind": "date_range", "field": "signed_on", "label": {"en": "S", "zh": "签"}}]
    put(sales, dashboard(chart("r", "bar", [{"field": "region"}], [SUM]),
                         chart("k", "kpi", [], [SUM], compare={"field": "signed_on", "period": "quarter"}),
                         chart("t", "pie", [], [SUM, {"agg": "sum", "field": "cost"}]),  # no key: no index
                         filters=filters))
    ours = _ours(sales)
    assert len(ours) == 2, ours
    leading = sorted(columns[0] for columns in ours.values())
    assert leading == ["region", "signed_on"]
    region = next(c for c in ours.values() if c[0] == "region")
    # SQLite: the measure and filter columns trail the key (covering); PostgreSQL holds them as INCLUDE
    assert region == (["region", "amount", "signed_on"] if len(region) > 1 else ["region"])
    put(sales, dashboard(chart("r", "bar", [{"field": "region"}], [SUM]), filters=filters))  # version 2
    assert [c[0] for c in _ours(sales).values()] == ["region"]  # the KPI's index went with the KPI
    response = sales.client.delete("/api/v1/dashboards/sales", headers=sales.headers("modeler"))
    assert response.status_code == 204
    assert _ours(sales) == {}


def test_purging_a_charted_field_drops_its_index_first(sales: Any) -> None:
    put(sales, dashboard(chart("r", "bar", [{"field": "region"}], [{"agg": "sum", "field": "cost"}])))
    assert len(_ours(sales)) == 1
    less = copy.deepcopy(SALE)
    less["fields"] = [f for f in less["fields"] if f["key"] != "cost"]
    response = sales.client.put("/api/v1/record-types/sale", headers=sales.headers("modeler"), json=less)
    assert response.status_code in (200, 201), response.get_json()
    response = sales.client.post("/api/v1/record-types/sale/purge", headers=sales.headers("admin"),
                                 json={"field": "cost"})
    assert response.status_code == 200, response.get_json()
    assert all("cost" not in c for c in _ours(sales).values())


def test_bokeh_documents_are_reused_only_for_the_same_rows() -> None:
    from server.analytics.render import render

    rows = {"chart": "c", "type": "column", "title": "c", "dimensions": [{"key": "region", "label": "Region"}],
            "measures": [{"key": "sum_amount", "label": "Sum"}],
            "rows": [{"region": "north", "region@label": "North", "sum_amount": 1.0}]}
    definition = {"key": "c", "type": "column"}
    first = render(rows, definition, "t")
    assert render(copy.deepcopy(rows), definition, "t") is first
    changed = copy.deepcopy(rows)
    changed["rows"][0]["sum_amount"] = 2.0
    assert render(changed, definition, "t") is not first
    assert render(rows, definition, "other-target") is not first


def test_kpi_gauge_progress_pictures_speak_the_readers_language(sales: Any) -> None:
    put(sales, dashboard(chart("k", "kpi", [], [SUM], target=1000, compare={"field": "signed_on", "period": "year"},
                               title={"en": "Total", "zh": "合计"}),
                         chart("g", "gauge", [], [SUM], target=1000),
                         chart("p", "progress", [], [SUM], target=1000)))
    texts: dict[tuple[str, str], str] = {}
    for locale in ("en", "zh"):
        for key in ("k", "g", "p"):
            response = sales.client.get(f"/api/v1/dashboards/sales/charts/{key}/data",
                                        headers={**sales.headers("fiona"), "Accept-Language": locale})
            from server.analytics.render import render

            item = render(response.get_json(), {"key": key, "type": {"k": "kpi", "g": "gauge", "p": "progress"}[key]},
                          f"chart-{key}")
            texts[(locale, key)] = json.dumps(item, ensure_ascii=False)
    assert "目标 1,000 · 达成" in texts[("zh", "k")] and "合计" in texts[("zh", "k")]
    assert "较上期" in texts[("zh", "k")] and "vs previous period" in texts[("en", "k")]
    assert "目标 1,000" in texts[("zh", "g")] and "目标 1,000" in texts[("zh", "p")]
    assert "of 1,000" in texts[("en", "k")] and "目标" not in texts[("en", "g")]
    assert "Noto Sans CJK SC" in texts[("zh", "k")]  # a font with Chinese glyphs is asked for first


@pytest.mark.parametrize("unit", ["week", "month", "quarter", "year"])
def test_date_buckets_grouped_by_day_first_add_up_exactly(sales: Any, unit: str) -> None:
    from collections import defaultdict
    from datetime import date, timedelta

    measures = [SUM, {"agg": "count"}, {"agg": "avg", "field": "qty"}, {"agg": "min", "field": "amount"},
                {"agg": "max", "field": "qty"}]
    put(sales, dashboard(chart("b", "table", [{"field": "signed_on", "bucket": unit}, {"field": "paid"}], measures)))
    groups: dict[tuple[str, bool], list[tuple[float, int]]] = defaultdict(list)
    for signed, amount, qty, paid in sql(sales, "SELECT signed_on, amount, qty, paid FROM rec_sale"):
        day = signed if isinstance(signed, date) else date.fromisoformat(str(signed)[:10])
        first = {"week": day - timedelta(days=day.weekday()), "month": day.replace(day=1),
                 "quarter": date(day.year, (day.month - 1) // 3 * 3 + 1, 1), "year": date(day.year, 1, 1)}[unit]
        groups[(first.isoformat(), bool(paid))].append((float(amount), qty))
    rows = data(sales, "fiona", "sales", "b")["rows"]
    assert {(r[f"signed_on:{unit}"], r["paid"]) for r in rows} == set(groups)
    for r in rows:
        values = groups[(r[f"signed_on:{unit}"], r["paid"])]
        assert close(r["sum_amount"], sum(a for a, _ in values)) and r["count"] == len(values)
        assert isinstance(r["count"], int)
        assert close(r["avg_qty"], sum(q for _, q in values) / len(values))
        assert close(r["min_amount"], min(a for a, _ in values)) and r["max_qty"] == max(q for _, q in values)
