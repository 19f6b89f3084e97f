"""The record-type designer in Chromium: a new type built from the palette (click and drag), its fields
reordered by dragging and by the arrow buttons, saved as a version; the records page then shows the
columns in the order arranged. On a 375 px phone the designer is cards of labelled inputs with arrows,
in Chinese. Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import screenshot

PASSWORD = "e2e-designer-root"


@pytest.fixture(scope="module")
def designer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A BOMS of its own with one admin and no record types."""
    from waitress import create_server

    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-designer")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "root", PASSWORD, roles=["admin"])
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def admin_page(chromium: Any, designer_server: str) -> Iterator[Any]:
    contexts = []

    def open_page(locale: str = "en-US", width: int = 1400) -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{designer_server}/login")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


def _keys(page: Any) -> list[str]:
    """The field keys as the designer shows them, top to bottom, blank rows left out."""
    keys = page.locator("[data-testid=field-rows] tbody input[name^=key-]").evaluate_all("els => els.map(e => e.value)")
    return [k for k in keys if k]


def _columns(page: Any) -> list[str]:
    """The records page's field columns, left to right (between the id and the updated time)."""
    headers = [h.strip() for h in page.locator("[data-testid=records] thead th").all_inner_texts()]
    return headers[headers.index("#") + 1:-1]


def _fill_new(page: Any, key: str, en: str, zh: str) -> None:
    """Fill the row the palette just added (its key input has the focus)."""
    index = page.evaluate("document.activeElement.name").removeprefix("key-")
    page.fill(f"input[name=key-{index}]", key)
    page.fill(f"input[name=label_en-{index}]", en)
    page.fill(f"input[name=label_zh-{index}]", zh)


def test_palette_drag_reorder_save_and_the_list_follows(admin_page: Any, designer_server: str) -> None:
    page = admin_page()
    page.goto(f"{designer_server}/admin/record-types/new")
    page.fill("#rt-key", "machine")
    page.fill("#rt-name-en", "Machine")
    page.fill("#rt-name-zh", "机器")
    assert page.locator("[data-testid=field-palette]").is_visible()
    page.click("[data-testid=palette-text]")
    _fill_new(page, "name", "Name", "名称")
    page.click("[data-testid=palette-money]")
    _fill_new(page, "price", "Price", "价格")
    row = page.locator("[data-testid=field-rows] tbody tr").nth(1)
    assert row.locator("select[name^=type-]").input_value() == "money"
    assert row.locator("input[name^=currency-]").is_visible()  # money: its currency shows, options do not
    assert not row.locator("textarea[name^=options-]").is_visible()
    row.locator("input[name^=currency-]").fill("EUR")
    # A date dragged from the palette onto the first row lands above it.
    page.drag_and_drop("[data-testid=palette-date]", "[data-testid=field-rows] tbody tr:nth-child(1)",
                       target_position={"x": 40, "y": 3})
    _fill_new(page, "bought", "Bought on", "购入日期")
    assert _keys(page) == ["bought", "name", "price"]
    # Drag "price" by its handle to the top; then "name" one up by its arrow button.
    page.drag_and_drop("[data-testid=field-rows] tbody tr:nth-child(3) .drag-handle",
                       "[data-testid=field-rows] tbody tr:nth-child(1)", target_position={"x": 40, "y": 3})
    assert _keys(page) == ["price", "bought", "name"]
    page.locator("[data-testid=field-rows] tbody tr:nth-child(3) [data-move='-1']").click()
    assert _keys(page) == ["price", "name", "bought"]
    assert "name is now at position 2" in page.locator("[data-testid=designer-status]").inner_text()
    positions = page.locator("[data-testid=field-rows] tbody input[name^=position-]").evaluate_all(
        "els => els.map(e => e.value)")
    assert positions[:3] == ["1", "2", "3"]
    screenshot(page, "designer-palette-reordered")
    page.click("[data-testid=save-record-type]")
    assert "Saved machine as version 1." in page.locator(".alert-success").inner_text()
    assert _keys(page) == ["price", "name", "bought"]  # as saved, read back from the server

    page.goto(f"{designer_server}/records/machine/new")
    page.fill("#f-name", "Lathe")
    page.fill("#f-price", "1200.50")
    page.fill("#f-bought", "2026-03-01")
    page.click("[data-testid=save-record]")
    page.wait_for_url(re.compile(r".*/records/machine/\d+$"))
    page.goto(f"{designer_server}/records/machine")
    assert _columns(page) == ["Price (EUR)", "Name", "Bought on"]
    cells = page.locator("[data-testid=records] tbody tr").first.locator("td[data-field]").all_inner_texts()
    assert cells[0].startswith("1,200.50") and cells[1:3] == ["Lathe", "Mar 1, 2026"]

    # Reordered again with the arrows only, a save makes version 2 and the list follows.
    page.goto(f"{designer_server}/admin/record-types/machine/")
    page.locator("[data-testid=field-rows] tbody tr:nth-child(1) [data-move='1']").click()
    page.locator("[data-testid=field-rows] tbody tr:nth-child(2) [data-move='1']").click()
    assert _keys(page) == ["name", "bought", "price"]
    page.click("[data-testid=save-record-type]")
    assert "Saved machine as version 2." in page.locator(".alert-success").inner_text()
    page.goto(f"{designer_server}/records/machine")
    assert _columns(page) == ["Name", "Bought on", "Price (EUR)"]


def test_a_refused_save_keeps_the_arranged_order(admin_page: Any, designer_server: str) -> None:
    page = admin_page()
    page.goto(f"{designer_server}/admin/record-types/new")
    page.fill("#rt-key", "gadget")
    page.fill("#rt-name-en", "Gadget")
    page.fill("#rt-name-zh", "小工具")
    page.click("[data-testid=palette-integer]")
    _fill_new(page, "count", "Count", "数量")
    page.click("[data-testid=palette-money]")
    _fill_new(page, "cost", "Cost", "成本")  # no currency: refused, naming the field
    page.locator("[data-testid=field-rows] tbody tr:nth-child(2) [data-move='-1']").click()
    page.click("[data-testid=save-record-type]")
    assert "Not saved, nothing changed" in page.locator(".alert-danger").inner_text()
    assert "currency" in page.locator(".alert-danger").inner_text()
    assert _keys(page) == ["cost", "count"]
    page.goto(f"{designer_server}/admin/record-types/")
    assert page.locator("[data-key=gadget]").count() == 0


def test_designer_on_a_phone_in_chinese(admin_page: Any, designer_server: str) -> None:
    page = admin_page(locale="zh-CN", width=375)
    page.goto(f"{designer_server}/admin/record-types/new")
    assert page.get_by_role("heading", name="新建记录类型").is_visible()
    assert not page.locator("[data-testid=field-rows] thead").is_visible()  # cards, not a table
    page.click("[data-testid=palette-select]")
    _fill_new(page, "status", "Status", "状态")
    page.click("[data-testid=palette-text]")
    _fill_new(page, "title", "Title", "标题")
    label = page.evaluate("getComputedStyle(document.querySelector('[data-testid=field-rows] td[data-label]'),"
                          " '::before').content")
    assert "顺序" in label
    up = page.locator("[data-testid=field-rows] tbody tr:nth-child(2) [data-move='-1']")
    box = up.bounding_box()
    assert box is not None and box["width"] >= 40 and box["height"] >= 40  # a finger-sized target
    assert up.get_attribute("aria-label") == "上移"
    up.click()
    assert _keys(page) == ["title", "status"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(page, "designer-phone-zh")
