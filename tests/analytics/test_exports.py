"""Exports of chart data (CSV, xlsx per chart and per dashboard) and the refused server-side PNG."""

from __future__ import annotations

import io
from typing import Any

from python_calamine import CalamineWorkbook

from tests.analytics.conftest import chart, dashboard, put, sql
from tests.analytics.test_chart_data import close

SUM = {"agg": "sum", "field": "amount"}


def _sheets(content: bytes) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_chart_and_dashboard_workbooks_hold_the_chart_data(sales: Any) -> None:
    put(sales, dashboard(chart("by_region", "bar", [{"field": "region"}], [SUM], title={"en": "By region",
                                                                                       "zh": "按区域"}),
                         chart("k", "kpi", [], [SUM], target=1000, title={"en": "Total", "zh": "合计"})))
    response = sales.get("fiona", "/api/v1/dashboards/sales/charts/by_region/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    (rows,) = _sheets(response.data).values()
    expected = {r[0].title(): r[1] for r in sql(sales, "SELECT region, SUM(amount) FROM rec_sale GROUP BY region")}
    assert rows[0] == ["Region", "Sum of Amount"]
    assert {r[0]: r[1] for r in rows[1:]}.keys() == expected.keys()
    assert all(close(r[1], expected[r[0]]) for r in rows[1:])
    response = sales.client.get("/api/v1/dashboards/sales/export.xlsx",
                                headers={**sales.headers("fiona"), "Accept-Language": "zh"})
    assert response.status_code == 200
    sheets = _sheets(response.data)
    assert list(sheets) == ["按区域", "合计"]
    assert sheets["按区域"][0] == ["区域", "金额合计"]
    total = sql(sales, "SELECT SUM(amount) FROM rec_sale")[0][0]
    assert sheets["合计"][0] == ["金额合计", "目标"] and close(sheets["合计"][1][0], total)
    assert sheets["合计"][1][1] == 1000


def test_exports_apply_the_viewers_scope_and_filters(sales: Any) -> None:
    put(sales, dashboard(chart("by_region", "bar", [{"field": "region"}], [{"agg": "count"}])))
    response = sales.get("sam", "/api/v1/dashboards/sales/charts/by_region/export.xlsx")
    (rows,) = _sheets(response.data).values()
    assert sum(r[1] for r in rows[1:]) == sql(sales, "SELECT COUNT(*) FROM rec_sale WHERE created_by = 'sam'")[0][0]
    response = sales.get("sam", "/api/v1/dashboards/sales/export.xlsx", query_string={"nope": "1"})
    assert response.status_code == 400 and "nope" in response.get_json()["error"]["message"]
    assert sales.get("sam", "/api/v1/dashboards/missing/export.xlsx").status_code == 404


def test_formula_like_labels_are_neutralised(sales: Any) -> None:
    with sales.app.extensions["boms_db"].write() as session:
        from sqlalchemy import text

        session.execute(text("UPDATE rec_sale SET product = '=HYPERLINK(1)' WHERE product = 'sofa'"))
    put(sales, dashboard(chart("p", "bar", [{"field": "product"}], [{"agg": "count"}])))
    (rows,) = _sheets(sales.get("fiona", "/api/v1/dashboards/sales/charts/p/export.xlsx").data).values()
    assert "'=HYPERLINK(1)" in [r[0] for r in rows]


def test_png_on_the_server_is_refused_naming_the_way(sales: Any) -> None:
    put(sales, dashboard(chart("by_region", "bar", [{"field": "region"}], [SUM])))
    response = sales.get("fiona", "/api/v1/dashboards/sales/charts/by_region/export.png")
    assert response.status_code == 501
    error = response.get_json()["error"]
    assert error["chart"] == "by_region" and "PNG button" in error["message"]
    assert sales.get("fiona", "/api/v1/dashboards/sales/charts/nope/export.png").status_code == 404
