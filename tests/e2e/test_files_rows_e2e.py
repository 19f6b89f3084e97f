"""Repeatable rows and a file upload in Chromium: add rows with rows.js, attach a file, see it on the instance."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import screenshot

QUOTE = b"%PDF-1.4 the supplier's quote\n"


def test_order_lines_with_a_quote(page_for: Any, live_server: str) -> None:
    alice = page_for("alice")
    alice.goto(f"{live_server}/start")
    alice.click("[data-key=order_lines]")
    alice.fill("#f-businessKey", "ORDER-E2E-1")
    alice.click("[data-testid=start-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/tasks/.*"))
    instance_url = alice.locator("a[href*='/instances/']").first.get_attribute("href")

    alice.fill("#f-lines-0-item", "Paper")
    alice.fill("#f-lines-0-qty", "2")
    alice.fill("#f-lines-0-price", "4.50")
    alice.click("[data-add-row=lines]")
    alice.fill("#f-lines-1-item", "Pens")
    alice.fill("#f-lines-1-qty", "10")
    alice.fill("#f-lines-1-price", "0.80")
    alice.click("[data-add-row=lines]")  # one too many: removed again
    alice.locator("[data-rows=lines] tbody tr").nth(2).locator("[data-remove-row]").click()
    assert alice.locator("[data-rows=lines] tbody tr").count() == 2
    alice.set_input_files("#f-attachment", files=[{"name": "quote.pdf", "mimeType": "application/pdf",
                                                   "buffer": QUOTE}])
    screenshot(alice, "task-rows-file")

    alice.fill("#f-lines-1-qty", "0")
    alice.click("[data-testid=task-form] button[type=submit]")
    message = alice.locator("[data-cell=lines-1-qty] .invalid-feedback")
    assert message.inner_text() == "must be at least 1"
    assert alice.input_value("#f-lines-0-item") == "Paper"  # what was typed is kept, the file is not
    screenshot(alice, "task-rows-file-message")
    alice.fill("#f-lines-1-qty", "10")
    alice.set_input_files("#f-attachment", files=[{"name": "quote.pdf", "mimeType": "application/pdf",
                                                   "buffer": QUOTE}])
    alice.click("[data-testid=task-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/inbox.*"))

    alice.goto(f"{live_server}{instance_url}")
    link = alice.locator("[data-testid=variables] [data-testid=file-link]")
    assert link.inner_text() == "quote.pdf"
    rows = alice.locator("[data-testid=variables] [data-testid=rows-value] tbody tr")
    assert rows.count() == 2 and "Pens" in rows.nth(1).inner_text()
    screenshot(alice, "instance-rows-file")
    with alice.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "quote.pdf"
    assert download.value.path().read_bytes() == QUOTE
