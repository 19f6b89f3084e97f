"""The chart editor's field catalogue (server/analytics/catalogue.py, /admin/dashboards/catalogue.json) and its
filter check: built with the designer's own read permissions, so a record type they may not read and a field
hidden from them are not offered; the aggregates offered per field kind are the ones the save accepts."""

from __future__ import annotations

import json
from html import unescape
from typing import Any

import pytest

from server.analytics.charttypes import AGGREGATES, TYPES
from tests.analytics.conftest import SALE, chart, dashboard, put

# The sale type with a read grant for modelers that leaves out the cost, and a type modelers may not read.
MODELER_SALE = {**SALE, "permissions": [*SALE["permissions"], {
    "roles": ["modeler"], "actions": ["read"], "fields": ["product", "region", "amount", "qty", "signed_on"]}]}
SECRET = {"key": "secret", "name": {"en": "Secret", "zh": "机密"},
          "fields": [{"key": "code", "label": {"en": "Code", "zh": "代码"}, "type": "text"}]}


@pytest.fixture
def designed(api: Any) -> Any:
    for body in (MODELER_SALE, SECRET):
        response = api.post("admin", "/api/v1/record-types", json=body)
        assert response.status_code == 201, response.get_json()
    api.deploy("modeler", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    api.user("sam", roles=("staff",))
    return api


def _catalogue(api: Any, browser: Any, who: str) -> dict[str, Any]:
    response = browser(who).get("/admin/dashboards/catalogue.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _source(body: dict[str, Any], **spec: str) -> dict[str, Any] | None:
    return next((s for s in body["sources"] if s["spec"] == spec), None)


def test_a_modeler_is_offered_only_what_they_may_read(designed: Any, browser: Any) -> None:
    body = _catalogue(designed, browser, "modeler")
    sale = _source(body, kind="records", type="sale")
    assert sale is not None and sale["label"] == {"en": "Sale (sale)", "zh": "销售（sale）"}
    keys = {f["key"] for f in sale["fields"]}
    assert {"product", "region", "amount", "qty", "signed_on", "created_at", "id"} <= keys
    assert "cost" not in keys and "paid" not in keys  # hidden from modelers
    assert "tags" not in keys  # a list field neither groups nor aggregates
    assert "cost" not in sale["filterNames"] and "amount" in sale["filterNames"]
    assert "cost" not in json.dumps(sale)
    assert _source(body, kind="records", type="secret") is None  # no read grant at all
    assert _source(body, kind="audit_events") is None  # modelers are no audit readers
    assert _source(body, kind="process_instances", process="purchase_request") is not None
    assert _source(body, kind="tasks", process="purchase_request") is not None
    assert _source(body, kind="tasks") is not None
    kinds = {f["key"]: f["kind"] for f in sale["fields"]}
    assert kinds["amount"] == "number" and kinds["region"] == "text" and kinds["signed_on"] == "date"


def test_an_admin_sees_every_field_and_the_audit_log(designed: Any, browser: Any) -> None:
    body = _catalogue(designed, browser, "admin")
    sale = _source(body, kind="records", type="sale")
    assert sale is not None and {"cost", "paid"} <= {f["key"] for f in sale["fields"]}
    assert _source(body, kind="records", type="secret") is not None
    assert _source(body, kind="audit_events") is not None


def test_types_and_aggregates_match_what_the_save_accepts(designed: Any, browser: Any) -> None:
    body = _catalogue(designed, browser, "modeler")
    assert [t["key"] for t in body["types"]] == list(TYPES)
    assert all(t["label"]["en"] and t["label"]["zh"] and t["note"]["zh"] for t in body["types"])
    aggregates = {a["key"]: a for a in body["aggregates"]}
    assert list(aggregates) == list(AGGREGATES)
    assert aggregates["sum"]["kinds"] == ["number"] and "text" not in aggregates["avg"]["kinds"]
    assert "text" not in aggregates["max"]["kinds"] and "date" in aggregates["max"]["kinds"]
    assert "text" in aggregates["count_distinct"]["kinds"] and not aggregates["count"]["needsField"]
    assert [b["key"] for b in body["buckets"]] == ["day", "week", "month", "quarter", "year"]
    assert all(len(p) <= 20 for p in body["palettes"].values())
    # Every offered (aggregate, field) pair saves; a sum over text, which is not offered, is refused.
    sale = _source(body, kind="records", type="sale")
    assert sale is not None
    measures = [{"agg": a["key"], "field": f["key"]} for a in body["aggregates"] if a["key"] != "box"
                for f in sale["fields"] if f["kind"] in a["kinds"] and a["needsField"]][:8]
    put(designed, dashboard(chart("all", "table", [{"field": "region"}], measures)))
    refused = put(designed, dashboard(chart("bad", "column", [{"field": "region"}],
                                            [{"agg": "sum", "field": "product"}])), expect=400)
    assert refused.get_json()["error"]["field"] == "product"


def test_staff_may_not_read_the_catalogue(designed: Any, browser: Any) -> None:
    assert browser("sam").get("/admin/dashboards/catalogue.json").status_code == 403
    assert browser("sam").get("/admin/dashboards/check-filter.json?filter=x").status_code == 403


def test_the_filter_check_answers_as_the_save_would(designed: Any, browser: Any) -> None:
    web = browser("modeler")
    source = json.dumps({"kind": "records", "type": "sale"})

    def check(text: str) -> Any:
        return web.get("/admin/dashboards/check-filter.json",
                       query_string={"chart": "by_region", "source": source, "filter": text})

    good = check("amount > 100 && region == 'north'")
    assert good.status_code == 200 and good.get_json() == {"ok": True}
    unknown = check("nowhere == 1")
    assert unknown.status_code == 400
    error = unknown.get_json()["error"]
    assert error["field"] == "nowhere" and error["chart"] == "by_region" and "nowhere" in error["message"]
    broken = check("amount >")
    assert broken.status_code == 400 and broken.get_json()["error"]["field"] == "filter"
    nowhere = web.get("/admin/dashboards/check-filter.json",
                      query_string={"source": json.dumps({"kind": "records", "type": "none"}), "filter": "a"})
    assert nowhere.status_code == 400 and nowhere.get_json()["error"]["field"] == "source"
    garbled = web.get("/admin/dashboards/check-filter.json", query_string={"source": "{", "filter": "a"})
    assert garbled.status_code == 400 and garbled.get_json()["error"]["field"] == "source"


def test_a_refused_save_names_the_chart_for_the_editor(designed: Any, browser: Any) -> None:
    """A dimension's mistake (found while reading the definition) carries the chart's key, so the page can put
    the message beside that chart's picker."""
    web = browser("modeler")
    bad = dashboard(chart("by_region", "column", [{"field": "signed_on", "bucket": "fortnight"}],
                          [{"agg": "count"}]))
    refused = web.post("/admin/dashboards/save", {"definition": json.dumps(bad)}, from_page="/admin/dashboards/new")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "The dashboard was not saved" in text
    problem = text.split('data-problem="', 1)[1].split('"', 1)[0]
    where = json.loads(unescape(problem))
    assert where["chart"] == "by_region" and where["field"] == "bucket" and "fortnight" not in where["field"]


def test_the_editor_reads_the_page_language(designed: Any, browser: Any) -> None:
    web = browser("modeler")
    assert 'data-lang="en"' in web.get("/admin/dashboards/new").get_data(as_text=True)
    web.post("/language", {"lang": "zh", "next": "/admin/dashboards/new"}, from_page="/admin/dashboards/new")
    chinese = web.get("/admin/dashboards/new").get_data(as_text=True)
    assert 'data-lang="zh' in chinese and "数据源" in chinese and "添加度量" in chinese


def test_the_service_refuses_a_non_designer_and_builds_per_principal(designed: Any) -> None:
    from server.analytics.catalogue import catalogue
    from server.auth.permissions import Principal
    from server.errors import Forbidden

    staff = Principal(0, "sam", frozenset({"staff"}), frozenset())
    finance_modeler = Principal(0, "mo", frozenset({"modeler"}), frozenset({"finance"}))
    with designed.app.extensions["boms_db"].read() as session:
        with pytest.raises(Forbidden):
            catalogue(session, staff)
        body = catalogue(session, finance_modeler)  # the finance group reads every field of a sale
    sale = _source(body, kind="records", type="sale")
    assert sale is not None and "cost" in {f["key"] for f in sale["fields"]}


@pytest.mark.parametrize("query", [
    {"source": json.dumps({"kind": []}), "filter": "a == 1"},  # not hashable: was a TypeError (500)
    {"source": json.dumps({"kind": {"records": 1}}), "filter": "a == 1"},
    {"source": json.dumps({"kind": "records", "type": "sa\u0000le"}), "filter": "a == 1"},  # 500 on PostgreSQL
    {"source": json.dumps({"kind": "process_instances", "process": "p\u0000"}), "filter": "a == 1"},
    {"source": json.dumps({"kind": "records", "type": "sale"}), "filter": "amount > 1", "chart": "<b>" * 5000},
    {"source": json.dumps({"kind": "records", "type": "sale"}), "filter": "amount > 1", "chart": ""},
])
def test_odd_filter_checks_are_refused_not_crashed(designed: Any, browser: Any, query: dict[str, str]) -> None:
    answer = browser("modeler").get("/admin/dashboards/check-filter.json", query_string=query)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["field"] in ("source", "chart") and "<b><b>" not in error["message"]
