"""The dashboard designer in Chromium: a chart dragged and resized on the grid changes the saved definition's
layout, a chart added by the button is saved, and on a phone (375 px) the tiles stack, with no CSP violation."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import screenshot
from tests.e2e.test_csp_e2e import WATCH

PASSWORD = "e2e-designer-password"


def _chart(key: str, x: int, y: int) -> dict[str, Any]:
    return {"key": key, "type": "column", "title": {"en": key.title(), "zh": key}, "source": {"kind": "audit_events"},
            "dimensions": [{"field": "kind"}], "measures": [{"agg": "count"}],
            "layout": {"x": x, "y": y, "w": 4, "h": 3}}


BOARD = {"key": "board", "title": {"en": "Board", "zh": "看板"}, "viewers": {"roles": ["admin"]},
         "charts": [_chart("first", 0, 0), _chart("second", 4, 0)]}


@pytest.fixture(scope="module")
def designer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from waitress import create_server

    from server.analytics import service
    from server.auth.permissions import Principal
    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-designer")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "root", PASSWORD, roles=["admin"])
        service.save(session, Principal(0, "e2e", frozenset({"admin"}), frozenset()), BOARD)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.effective_port}", "app": app}
    server.close()


def _page(chromium: Any, base: str, width: int, height: int) -> Any:
    context = chromium.new_context(locale="en-US", viewport={"width": width, "height": height})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    return page


def _saved(app: Any) -> dict[str, Any]:
    from server.analytics import service

    with app.extensions["boms_db"].read() as session:
        row = service.latest(session, "board")
        assert row is not None
        return {"version": row.version, "charts": {c["key"]: c for c in row.definition["charts"]}}


def _drag(page: Any, selector: str, dx: float, dy: float, at: tuple[float, float] = (0.5, 0.5)) -> None:
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1]
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # in steps, as a hand does: the grid follows the pointer
        page.mouse.move(x + dx * step / 10, y + dy * step / 10)
    page.mouse.up()


def test_drag_resize_and_add_a_chart_then_save(chromium: Any, designer_server: dict[str, Any]) -> None:
    base, app = designer_server["url"], designer_server["app"]
    page = _page(chromium, base, 1400, 1000)
    try:
        page.goto(f"{base}/admin/dashboards/")
        page.click("a[href$='/admin/dashboards/board/']")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        before = _saved(app)
        column = page.locator("[data-testid=designer-grid]").bounding_box()["width"] / 12
        # Move "first" down below both charts and to the right, then make "second" wider and taller.
        _drag(page, "[data-testid=tile-first] .grid-stack-item-content", column * 6.2, 260)
        page.hover("[data-testid=tile-second] .grid-stack-item-content")  # the resize handle shows on hover
        _drag(page, "[data-testid=tile-second] .ui-resizable-se", column * 2.1, 130, at=(0.5, 0.5))
        shown = {c["key"]: c["layout"] for c in json.loads(page.input_value("[data-testid=dashboard-json]"))["charts"]}
        assert shown["first"] != before["charts"]["first"]["layout"], shown
        assert shown["second"]["w"] > 4 and shown["second"]["h"] > 3, shown
        page.click("[data-testid=grid-add]")
        page.wait_for_selector("[data-testid=tile-second_2]")
        screenshot(page, "dashboard-designer")
        page.click("[data-testid=dashboard-save]")
        page.wait_for_load_state()
        assert "Saved dashboard board version" in page.content()
        after = _saved(app)
        assert after["version"] == before["version"] + 1
        assert after["charts"]["first"]["layout"] == shown["first"]
        assert after["charts"]["second"]["layout"] == shown["second"]
        assert after["charts"]["second_2"]["source"] == {"kind": "audit_events"}
        assert {k: after["charts"]["second_2"]["layout"][k] for k in ("w", "h")} == {"w": 6, "h": 4}
        assert page.evaluate("window.__csp") == []
    finally:
        page.context.close()


def test_on_a_phone_the_tiles_stack(chromium: Any, designer_server: dict[str, Any]) -> None:
    page = _page(chromium, designer_server["url"], 375, 800)
    try:
        page.goto(f"{designer_server['url']}/admin/dashboards/board/")
        page.wait_for_selector("[data-testid=tile-first] .grid-stack-item-content")
        boxes = [page.locator(f"[data-testid=tile-{key}]").bounding_box() for key in ("first", "second")]
        grid = page.locator("[data-testid=designer-grid]").bounding_box()
        assert grid["width"] <= 375
        for box in boxes:
            assert abs(box["x"] - grid["x"]) < 2 and box["width"] > grid["width"] * 0.9, (box, grid)
        tops = sorted(b["y"] for b in boxes)
        assert tops[1] >= tops[0] + boxes[0]["height"] - 2  # one below the other, not side by side
        screenshot(page, "dashboard-designer-phone")
        before = page.input_value("[data-testid=dashboard-json]")
        _drag(page, "[data-testid=tile-first] .grid-stack-item-content", 0, 300)
        assert page.input_value("[data-testid=dashboard-json]") == before  # a phone's column is not saved
        assert page.evaluate("window.__csp") == []
    finally:
        page.context.close()
