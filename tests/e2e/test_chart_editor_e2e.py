"""The designer's chart editor in Chromium: a chart added on the grid and configured only through the pickers
(record type, dimension, measure, chart type, colour, titles) saves, and the dashboard page draws it; an
invalid combination the pickers allow (a heatmap with one dimension) comes back with the server's message
beside the dimensions; on a phone the editor sits under the grid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert

from tests.analytics.conftest import SALE, sale_rows
from tests.analytics.test_mixed_currencies import DEAL
from tests.e2e.conftest import screenshot, serving
from tests.e2e.test_csp_e2e import WATCH
from tests.e2e.test_dashboard_designer_e2e import BOARD

PASSWORD = "e2e-chart-editor-password"


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from server.analytics import service
    from server.auth.permissions import Principal
    from server.records import types
    from server.records.storage import table_of
    from server.services.identity import add_user

    def seed(session: Any) -> None:
        add_user(session, "root", PASSWORD, roles=["admin"])
        row, _created = types.save(session, json.loads(json.dumps(SALE)), "e2e")
        session.execute(insert(table_of(row.definition)), sale_rows(60))
        types.save(session, json.loads(json.dumps(DEAL)), "e2e")  # an amount in per-record currencies
        service.save(session, Principal(0, "e2e", frozenset({"admin"}), frozenset()), BOARD)

    with serving(tmp_path_factory.mktemp("e2e-chart-editor"), seed) as (url, app):
        yield {"url": url, "app": app}


def _page(chromium: Any, base: str, width: int, errors: list[str]) -> Any:
    context = chromium.new_context(locale="en-US", viewport={"width": width, "height": 1000})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A failed request is its own entry (with its URL); a filter the server refuses is a 400 on purpose.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource"
            not in m.text else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not any(
        ok in r.url for ok in ("favicon", "check-filter.json")) else None)
    page.goto(f"{base}/login?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    return page


def _definition(app: Any) -> tuple[int, dict[str, Any]]:
    from server.analytics import service

    with app.extensions["boms_db"].read() as session:
        row = service.latest(session, "board")
        assert row is not None
        return row.version, {c["key"]: c for c in row.definition["charts"]}


def _shown(page: Any) -> dict[str, Any]:
    return {c["key"]: c for c in json.loads(page.input_value("[data-testid=dashboard-json]"))["charts"]}


def test_a_chart_made_with_the_pickers_saves_and_draws(chromium: Any, editor_server: dict[str, Any]) -> None:
    base, app = editor_server["url"], editor_server["app"]
    errors: list[str] = []
    page = _page(chromium, base, 1400, errors)
    try:
        page.goto(f"{base}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-second] .grid-stack-item-content")
        page.click("[data-testid=grid-add]")
        page.wait_for_selector("[data-testid=tile-second_2]")
        assert page.input_value("[data-testid=ce-chart]") == "second_2"  # the added chart is the one edited
        page.select_option("[data-testid=ce-source]", label="Sale (sale)")
        page.wait_for_selector("[data-testid=ce-add-dimension]:not([disabled])")
        assert page.locator("#ce-dimensions .ce-row").count() == 0  # 'kind' is no field of a sale
        page.click("[data-testid=ce-add-dimension]")
        page.select_option("[data-testid=ce-dim-0-field]", "region")
        # A measure's aggregates follow the field: a number offers a sum, a text field does not.
        page.select_option("[data-testid=ce-measure-0-field]", "product")
        text_aggs = page.locator("[data-testid=ce-measure-0-agg] option").evaluate_all("o => o.map(x => x.value)")
        assert "sum" not in text_aggs and "count_distinct" in text_aggs
        page.select_option("[data-testid=ce-measure-0-field]", "amount")
        assert page.input_value("[data-testid=ce-measure-0-agg]") == "sum"
        page.select_option("[data-testid=ce-type]", "bar")
        page.select_option("[data-testid=ce-palette]", "set2")
        page.fill("[data-testid=ce-color-0]", "#aa3300")
        page.fill("[data-testid=ce-title-en]", "Amount by region")
        page.fill("[data-testid=ce-title-zh]", "各区域金额")
        page.fill("[data-testid=ce-filter]", "qty > 2")
        page.wait_for_selector("[data-testid=ce-filter-ok]:has-text('The filter is valid.')")
        page.fill("[data-testid=ce-filter]", "qty > 2 && nowhere == 1")
        page.wait_for_selector("[data-testid=error-filter]:has-text('nowhere')")
        page.fill("[data-testid=ce-filter]", "qty > 2")
        page.wait_for_selector("[data-testid=ce-filter-ok]:has-text('The filter is valid.')")
        assert "Amount by region" in page.inner_text("[data-testid=tile-second_2]")
        chart = _shown(page)["second_2"]
        assert chart["source"] == {"kind": "records", "type": "sale"} and chart["type"] == "bar"
        assert chart["dimensions"] == [{"field": "region"}] and chart["measures"] == [{"agg": "sum", "field": "amount"}]
        assert chart["colors"][0] == "#aa3300" and len(chart["colors"]) == 8
        screenshot(page, "chart-editor")
        before, _charts = _definition(app)
        page.click("[data-testid=dashboard-save]")
        page.wait_for_load_state()
        assert "Saved dashboard board version" in page.content()
        version, charts = _definition(app)
        assert version == before + 1
        saved = charts["second_2"]
        assert saved["title"] == {"en": "Amount by region", "zh": "各区域金额"} and saved["filter"] == "qty > 2"
        assert saved["colors"][0] == "#aa3300" and saved["measures"] == [{"agg": "sum", "field": "amount"}]

        page.goto(f"{base}/dashboards/board")
        page.wait_for_selector("#chart-second_2[data-rendered=true]", timeout=60_000)
        canvases = page.evaluate("""() => {
            const walk = (root) => Array.from(root.querySelectorAll('*'))
                .flatMap(n => [n, ...(n.shadowRoot ? walk(n.shadowRoot) : [])]);
            return walk(document.querySelector('#chart-second_2'))
                .filter(n => n.tagName === 'CANVAS' && n.width > 0 && n.height > 0).length;
        }""")
        assert canvases > 0
        assert page.evaluate("window.__csp") == []
        assert errors == []
    finally:
        page.context.close()


def test_an_invalid_combination_shows_the_servers_error_beside_the_field(
        chromium: Any, editor_server: dict[str, Any]) -> None:
    base, app = editor_server["url"], editor_server["app"]
    errors: list[str] = []
    page = _page(chromium, base, 1400, errors)
    try:
        page.goto(f"{base}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        page.focus("[data-testid=tile-first] .grid-stack-item-content")  # by keyboard: focus and Enter
        page.keyboard.press("Enter")
        assert page.input_value("[data-testid=ce-chart]") == "first"
        page.select_option("[data-testid=ce-type]", "heatmap")  # a heatmap needs two dimensions; it has one
        assert "two dimensions" in page.inner_text("[data-testid=ce-type-note]")
        before = _definition(app)
        page.click("[data-testid=dashboard-save]")
        page.wait_for_load_state()
        page.wait_for_selector("[data-testid=error-dimensions].shown")
        message = page.inner_text("[data-testid=error-dimensions]")
        assert "chart 'first'" in message and "heatmap" in message and "two dimensions" in message
        assert page.input_value("[data-testid=ce-chart]") == "first"
        assert page.input_value("[data-testid=ce-type]") == "heatmap"  # what was typed comes back to correct
        assert _definition(app) == before  # nothing saved
        screenshot(page, "chart-editor-error")
        page.select_option("[data-testid=ce-type]", "column")  # the first change clears the message
        assert not page.locator("[data-testid=error-dimensions]").is_visible()
        # The other way round: the JSON edited by hand refills the editor when the box is left.
        definition = json.loads(page.input_value("[data-testid=dashboard-json]"))
        next(c for c in definition["charts"] if c["key"] == "first")["type"] = "donut"
        page.fill("[data-testid=dashboard-json]", json.dumps(definition))
        page.dispatch_event("[data-testid=dashboard-json]", "change")
        assert page.input_value("[data-testid=ce-chart]") == "first"
        assert page.input_value("[data-testid=ce-type]") == "donut"
        assert page.evaluate("window.__csp") == [] and errors == []
    finally:
        page.context.close()


def test_on_a_phone_the_editor_is_under_the_grid(chromium: Any, editor_server: dict[str, Any]) -> None:
    errors: list[str] = []
    page = _page(chromium, editor_server["url"], 375, errors)
    try:
        page.goto(f"{editor_server['url']}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        page.click("[data-testid=tile-first] .grid-stack-item-content")
        page.wait_for_selector("#ce-fields:not(.d-none)")
        grid = page.locator("[data-testid=designer-grid]").bounding_box()
        editor = page.locator("[data-testid=chart-editor]").bounding_box()
        assert editor["y"] >= grid["y"] + grid["height"] - 1 and editor["width"] <= 375
        screenshot(page, "chart-editor-phone")
        assert errors == []
    finally:
        page.context.close()


def test_switching_type_or_source_leaves_no_key_the_save_refuses(
        chromium: Any, editor_server: dict[str, Any]) -> None:
    """A KPI card's target and comparison are dropped when it becomes a column chart (the save refuses them
    there, and their pickers are hidden); a comparison on a date the new source lacks goes with the source.
    A key typed by hand with a quote in it does not break the editor's writes."""
    base = editor_server["url"]
    errors: list[str] = []
    page = _page(chromium, base, 1400, errors)
    kpi = {"key": "goal", "type": "kpi", "title": {"en": "Goal", "zh": "目标"},
           "source": {"kind": "records", "type": "sale"}, "dimensions": [],
           "measures": [{"agg": "sum", "field": "amount"}], "target": 1000,
           "compare": {"field": "signed_on", "period": "year"}, "layout": {"x": 0, "y": 8, "w": 4, "h": 2}}
    try:
        page.goto(f"{base}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        definition = json.loads(page.input_value("[data-testid=dashboard-json]"))
        definition["charts"] += [kpi, {**kpi, "key": "goal_2", "layout": {"x": 4, "y": 8, "w": 4, "h": 2}},
                                 {**kpi, "key": 'odd"key', "layout": {"x": 8, "y": 8, "w": 4, "h": 2}}]
        page.fill("[data-testid=dashboard-json]", json.dumps(definition))
        page.dispatch_event("[data-testid=dashboard-json]", "change")
        page.select_option("[data-testid=ce-chart]", "goal")
        assert page.input_value("[data-testid=ce-target]") == "1000"
        page.select_option("[data-testid=ce-type]", "column")
        goal = _shown(page)["goal"]
        assert "target" not in goal and "compare" not in goal, goal
        page.select_option("[data-testid=ce-chart]", "goal_2")
        page.select_option("[data-testid=ce-source]", label="All tasks")  # tasks have no 'signed_on'
        goal = _shown(page)["goal_2"]
        assert goal["source"] == {"kind": "tasks"} and "compare" not in goal and goal["target"] == 1000, goal
        page.fill("[data-testid=ce-title-en]", "Goal two")  # retitles every tile, the odd key's too
        assert "Goal two" in page.inner_text("[data-testid=tile-goal_2]")
        assert errors == []
    finally:
        page.context.close()


def test_an_amount_in_several_currencies_is_grouped_and_summed_only_beside_its_currency(
        chromium: Any, editor_server: dict[str, Any]) -> None:
    """As the save refuses (server/records/money.py): 'price' is offered as a dimension, and a sum of it, only
    once the chart groups by 'price.currency'; before that a count only."""
    base = editor_server["url"]
    errors: list[str] = []
    page = _page(chromium, base, 1400, errors)
    try:
        page.goto(f"{base}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        page.select_option("[data-testid=ce-chart]", "first")
        page.select_option("[data-testid=ce-source]", label="Deal (deal)")
        page.select_option("[data-testid=ce-type]", "table")
        page.click("[data-testid=ce-add-dimension]")

        def offered(testid: str) -> list[str]:
            return page.locator(f"[data-testid={testid}] option").evaluate_all("o => o.map(x => x.value)")

        assert "price" not in offered("ce-dim-0-field") and "price.currency" in offered("ce-dim-0-field")
        page.select_option("[data-testid=ce-measure-0-field]", "price")
        assert offered("ce-measure-0-agg") == ["count"]
        page.select_option("[data-testid=ce-dim-0-field]", "price.currency")
        page.click("[data-testid=ce-add-dimension]")
        assert "price" in offered("ce-dim-1-field")
        assert "sum" in offered("ce-measure-0-agg")
        assert errors == []
    finally:
        page.context.close()
