"""A work order's drawing on a 375 px phone, in Chinese: a refused form is fixed and the drawing chosen again,
the record page shows its thumbnail and its materials, the material lists the work order pointing at it.
Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.e2e.conftest import screenshot
from tests.e2e.test_records_e2e import open_as, records_server  # noqa: F401  (the fixtures)

# a 2 x 2 red PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR4nGP8z8DAwMDAxMDAwMAAAA0QAQcX"
                       "kJ1dAAAAAElFTkSuQmCC")


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
    page.select_option("#f-materials", value=material_id)
    page.click("[data-testid=save-record]")  # no product, no owner: refused, the fields marked
    assert page.locator(".invalid-feedback").count() >= 1
    page.fill("#f-product", "橡木椅")
    page.fill("#f-owner", "root")
    page.set_input_files("#f-drawing", files=[drawing])  # the refused form's file is not kept: chosen again
    page.select_option("#f-materials", value=material_id)
    screenshot(page, "record-attachment-form-phone-zh")
    page.click("[data-testid=save-record]")
    page.wait_for_url(re.compile(r".*/records/work_order/\d+$"))
    thumbnail = page.locator("[data-testid=thumbnail]")
    assert thumbnail.count() == 1
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) == 2  # the image really loads
    box = thumbnail.bounding_box()
    assert box is not None and 100 <= box["width"] <= 140  # shown as a thumbnail (app.css), not at its own size
    assert "M-OAK" in page.locator("dd[data-field=materials]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # no sideways scrolling
    screenshot(page, "record-attachment-page-phone-zh")
    page.goto(material_url)
    assert "WO-" in page.locator("[data-testid=incoming]").inner_text()
