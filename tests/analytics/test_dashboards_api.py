"""Dashboards: save and versions, refusals naming chart and field, viewers, the viewer's record permissions,
deployment as files, and every chart type rendered as a Bokeh document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.analytics.charttypes import TYPES
from tests.analytics.conftest import chart, dashboard, data, put, sql

SUM = {"agg": "sum", "field": "amount"}
COUNT = {"agg": "count"}


def refused(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = put(api, body, expect=400)
    return response.get_json()["error"]


def test_save_versions_list_get_delete(sales: Any) -> None:
    body = dashboard(chart("c", "column", [{"field": "region"}], [SUM]))
    assert put(sales, body).get_json()["version"] == 1
    assert put(sales, body, expect=200).get_json()["version"] == 1  # unchanged: no new version
    body["title"] = {"en": "Sales 2", "zh": "销售二"}
    assert put(sales, body).get_json()["version"] == 2
    listed = sales.get("sam", "/api/v1/dashboards").get_json()["items"]
    assert listed == [{"key": "sales", "title": {"en": "Sales 2", "zh": "销售二"}, "version": 2, "charts": 1}]
    assert sales.get("auditor", "/api/v1/dashboards").get_json()["items"] == []  # not a viewer
    assert sales.get("auditor", "/api/v1/dashboards/sales").status_code == 404
    assert put(sales, body, who="sam", expect=403)
    assert sales.client.delete("/api/v1/dashboards/sales", headers=sales.headers("sam")).status_code == 403
    assert sales.client.delete("/api/v1/dashboards/sales", headers=sales.headers("modeler")).status_code == 204
    assert sales.get("sam", "/api/v1/dashboards/sales").status_code == 404
    assert put(sales, body).get_json()["version"] == 3
    kinds = [r[0] for r in sql(sales, "SELECT kind FROM audit_event WHERE subject_type = 'dashboard' ORDER BY seq")]
    assert kinds == ["dashboard.saved", "dashboard.saved", "dashboard.deleted", "dashboard.saved"]


@pytest.mark.parametrize(("charts", "field", "words"), [
    ([chart("c", "column", [{"field": "colour"}], [SUM])], "colour", "dimension field 'colour' is not in"),
    ([chart("c", "column", [{"field": "region"}], [{"agg": "sum", "field": "product"}])], "product",
     "cannot sum 'product': it is a text field"),
    ([chart("c", "column", [{"field": "region"}], [SUM], drill={"chart": "nowhere"})], "drill",
     "drill-down to chart 'nowhere'"),
    ([chart("c", "pie", [{"field": "region"}], [SUM, COUNT])], "measures", "a pie chart needs"),
    ([chart("c", "column", [{"field": "region", "bucket": "month"}], [SUM])], "region", "needs a date field"),
    ([chart("c", "column", [{"field": "tags"}], [SUM])], "tags", "cannot group by 'tags'"),
    ([chart("c", "column", [{"field": "region"}], [SUM], filter="colour == 'red'")], "colour", "filter"),
    ([{**chart("c", "column", [{"field": "region"}], [SUM]), "source": {"kind": "records", "type": "nope"}}],
     "source", "no record type 'nope'"),
    # Used only by a single-value chart: elsewhere (a KPI card switched to columns) saved and never drawn.
    ([chart("c", "column", [{"field": "region"}], [SUM], target=100)], "target", "'target' is for gauge, kpi"),
    ([chart("c", "column", [{"field": "region"}], [SUM], compare={"field": "signed_on", "period": "year"})],
     "compare", "not column"),
    ([chart("c", "kpi", [], [SUM, COUNT], target=100)], "target", "the second measure is the target"),
])
def test_bad_charts_are_refused_naming_chart_and_field(sales: Any, charts: list[dict[str, Any]], field: str,
                                                       words: str) -> None:
    error = refused(sales, dashboard(*charts))
    assert error["chart"] == "c" and error["field"] == field and words in error["message"], error
    assert sales.get("modeler", "/api/v1/dashboards/sales").status_code == 404  # nothing saved


def test_structure_refusals(sales: Any) -> None:
    assert "unknown key(s) colour" in refused(sales, {**dashboard(chart("c", "column", [{"field": "region"}], [SUM])),
                                                      "colour": 1})["message"]
    assert "'type' must be one of" in refused(sales, dashboard(chart("c", "spider", [], [SUM])))["message"]
    assert "appears more than once" in refused(sales, dashboard(chart("c", "kpi", [], [SUM]),
                                                                chart("c", "kpi", [], [SUM])))["message"]


def test_row_scope_and_hidden_fields_apply_to_aggregation(sales: Any) -> None:
    put(sales, dashboard(chart("c", "column", [{"field": "region"}], [SUM]),
                         chart("cost", "column", [{"field": "region"}], [{"agg": "sum", "field": "cost"}])))
    own = {r[0]: r[1] for r in sql(sales, "SELECT region, SUM(amount) FROM rec_sale WHERE created_by = 'sam' "
                                          "GROUP BY region")}
    rows = data(sales, "sam", "sales", "c")["rows"]
    assert {r["region"]: r["sum_amount"] for r in rows} == {k: float(v) for k, v in own.items()}
    everyone = {r[0]: float(r[1]) for r in sql(sales, "SELECT region, SUM(amount) FROM rec_sale GROUP BY region")}
    assert {r["region"]: r["sum_amount"] for r in data(sales, "fiona", "sales", "c")["rows"]} == everyone
    hidden = sales.get("sam", "/api/v1/dashboards/sales/charts/cost/data")
    assert hidden.status_code == 403 and hidden.get_json()["error"]["field"] == "cost"
    assert "sum_cost" not in hidden.get_data(as_text=True)
    records = sales.get("sam", "/api/v1/dashboards/sales/charts/c/records")
    assert records.status_code == 400  # the chart does not drill to records


def test_drill_to_records_respects_scope(sales: Any) -> None:
    put(sales, dashboard(chart("c", "column", [{"field": "region"}], [SUM], drill={"records": True})))
    body = sales.get("sam", "/api/v1/dashboards/sales/charts/c/records?by.region=north").get_json()
    expected = sql(sales, "SELECT id FROM rec_sale WHERE region = 'north' AND created_by = 'sam' ORDER BY id DESC")
    assert [i["id"] for i in body["items"]] == [r[0] for r in expected]
    assert all("cost" not in i for i in body["items"])


def test_dashboard_files_deploy(sales: Any, tmp_path: Path) -> None:
    good = tmp_path / "sales.dashboard.json"
    good.write_text(json.dumps({"dashboard": dashboard(chart("c", "kpi", [], [SUM]))}))
    summary = sales.deploy("modeler", good).get_json()
    assert summary["dashboards"][0]["key"] == "sales" and summary["dashboards"][0]["created"]
    bad = tmp_path / "bad.dashboard.json"
    bad.write_text(json.dumps({"dashboard": dashboard(chart("c", "kpi", [], [{"agg": "sum", "field": "colour"}]),
                                                      key="bad")}))
    error = sales.deploy("modeler", bad, expect=422).get_json()["error"]
    assert error["file"] == "bad.dashboard.json" and error["chart"] == "c" and "colour" in error["message"]
    assert sales.get("modeler", "/api/v1/dashboards/bad").status_code == 404


def _every_type() -> list[dict[str, Any]]:
    shapes = {
        "dual_axis": ([{"field": "region"}], [SUM, COUNT]),
        "scatter": ([{"field": "product"}], [SUM, COUNT]),
        "bubble": ([{"field": "product"}], [SUM, COUNT, {"agg": "sum", "field": "qty"}]),
        "histogram": ([{"field": "qty", "bins": 5}], [COUNT]),
        "box": ([{"field": "region"}], [{"agg": "box", "field": "amount"}]),
        "heatmap": ([{"field": "region"}, {"field": "paid"}], [COUNT]),
        "pivot": ([{"field": "region"}, {"field": "paid"}], [SUM]),
        "table": ([{"field": "region"}], [SUM, COUNT]),
        "radar": ([{"field": "region"}], [SUM, {"agg": "sum", "field": "qty"}]),
    }
    charts = []
    for kind, shape in TYPES.items():
        default = ([] if shape.dims[1] == 0 else [{"field": "region"}], [SUM])
        dims, measures = shapes.get(kind, default)
        if shape.series_dim:
            dims = [{"field": "region"}, {"field": "paid"}]
        charts.append(chart(kind, kind, dims, measures, **({"target": 100000} if shape.dims[1] == 0 else {})))
    return charts


def test_every_chart_type_renders_a_bokeh_document(sales: Any, browser: Any) -> None:
    charts = _every_type()
    assert len(charts) == len(TYPES) >= 26
    charts[0]["drill"] = {"chart": "bar"}
    put(sales, dashboard(*charts))
    web = browser("fiona")
    page = web.get("/dashboards/sales")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-testid="chart-card"') == len(TYPES) and "/static/bokeh/bokeh.min.js" in html
    for kind in TYPES:
        response = web.get(f"/dashboards/sales/charts/{kind}/item.json?_target=chart-{kind}")
        assert response.status_code == 200, (kind, response.get_data(as_text=True)[:300])
        item = response.get_json()
        assert item["target_id"] == f"chart-{kind}" and item["doc"]["roots"], kind
        assert "CustomJS" not in response.get_data(as_text=True), kind
    column = web.get("/dashboards/sales/charts/column/item.json").get_data(as_text=True)
    assert "/dashboards/sales/charts/bar?by.region=north" in column and "OpenURL" in column  # drill-down links
    js = web.get("/static/bokeh/bokeh.min.js")
    assert js.status_code == 200 and len(js.get_data()) > 500_000
    assert web.get("/static/bokeh/secret.py").status_code == 404
    csv = web.get("/dashboards/sales/charts/column/export.csv").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff") == "Region,Sum of Amount" and len(csv.splitlines()) == 5
    assert browser("fiona").get("/dashboards").status_code == 200
    drill = web.get("/dashboards/sales/charts/bar?by.region=north")
    assert drill.status_code == 200 and "region = north" in drill.get_data(as_text=True)
    assert web.get("/dashboards/sales?colour=1").status_code == 400
