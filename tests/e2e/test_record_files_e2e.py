"""A work order's drawing on a 375 px phone, in Chinese: a refused form is fixed and the drawing chosen again,
the record page shows its thumbnail and its materials, the material lists the work order pointing at it.
Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_records_e2e import open_as, records_server  # noqa: F401  (the fixtures)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png(800, 600)  # a drawing larger than its thumbnail


def test_a_work_order_with_a_drawing_on_a_phone(open_as: Any, records_server: str) -> None:  # noqa: F811
    page = open_as("root", locale="zh-CN", width=375)
    page.goto(f"{records_server}/records/material/new")
    page.fill("#f-code", "M-OAK")
    page.fill("#f-name", "橡木板")
    page.select_option("#f-unit", "m2")
    page.click("[data-testid=save-record]")
    page.wait_for_url(re.compile(r".*/records/material/\d+$"))
    material_url = page.url
    material_id = material_url.rsplit("/", 1)[1]
    drawing = {"name": "chair.png", "mimeType": "image/png", "buffer": PNG}
    page.goto(f"{records_server}/records/work_order/new")
    page.set_input_files("#f-drawing", files=[drawing])
    _pick(page, "materials", material_id)
    page.click("[data-testid=save-record]")  # no product, no owner: refused, the fields marked
    assert page.locator(".invalid-feedback").count() >= 1
    page.fill("#f-product", "橡木椅")
    page.fill("#f-owner", "root")
    page.set_input_files("#f-drawing", files=[drawing])  # the refused form's file is not kept: chosen again
    if page.locator(f"[data-testid=picker-materials] [data-picked='{material_id}']").count() == 0:
        _pick(page, "materials", material_id)
    screenshot(page, "record-attachment-form-phone-zh")
    page.click("[data-testid=save-record]")
    page.wait_for_url(re.compile(r".*/records/work_order/\d+$"))
    thumbnail = page.locator("[data-testid=thumbnail]")
    assert thumbnail.count() == 1
    # The image really loads, and what loads is the 256 px thumbnail, not the 800 px drawing.
    thumbnail.scroll_into_view_if_needed()  # loading="lazy"
    page.wait_for_function("img => img.complete", arg=thumbnail.element_handle())
    size = page.evaluate("img => [img.naturalWidth, img.naturalHeight]", thumbnail.element_handle())
    assert size == [256, 192]
    box = thumbnail.bounding_box()
    assert box is not None and 100 <= box["width"] <= 140  # shown as a thumbnail (app.css), not at its own size
    assert "M-OAK" in page.locator("dd[data-field=materials]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # no sideways scrolling
    screenshot(page, "record-attachment-page-phone-zh")
    page.goto(material_url)
    assert "WO-" in page.locator("[data-testid=incoming]").inner_text()


def _pick(page: Any, field: str, record_id: str) -> None:
    """A related record chosen in the record picker (record_picker.js) by its number."""
    search = page.locator(f"#f-{field}")
    search.fill(f"#{record_id}")
    expect(page.locator(f"[data-testid=picker-{field}] [role=option]")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator(f"[data-testid=picker-{field}] [data-picked='{record_id}']")).to_have_count(1)
