"""The grid's bulk form picks a relation's record by searching (record_picker.js): on a 375 px phone in
Chinese, typed, chosen with the keyboard, submitted; then by a tap. Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_records_e2e import _new_customer, open_as, records_server  # noqa: F401  (the fixtures)


def _order(page: Any, base: str, customer_id: str) -> str:
    page.goto(f"{base}/records/order/new")
    page.fill("#f-customer", f"#{customer_id}")  # the picker searches record numbers too
    page.locator("[data-testid=picker-customer] [role=option]").first.click()
    page.click("[data-testid=save-record]")
    page.wait_for_url(re.compile(r".*/records/order/\d+$"))
    return page.url.rsplit("/", 1)[1]


def test_a_relation_is_picked_by_searching_on_a_phone(open_as: Any, records_server: str) -> None:  # noqa: F811
    page = open_as("rita", locale="zh-CN", width=375)
    oak = _new_customer(page, records_server, "Picker Oak Works", "north", "100").rsplit("/", 1)[1]
    pine = _new_customer(page, records_server, "Picker Pine Yard", "north", "100").rsplit("/", 1)[1]
    order = _order(page, records_server, pine)
    page.goto(f"{records_server}/records/order?filter=id%20%3D%3D%20{order}")
    page.check(f"input[name=row][value='{order}']")
    page.select_option("#bulk-field", "customer")
    search = page.locator("#bulk-value-customer")
    assert search.get_attribute("role") == "combobox" and search.get_attribute("name") is None
    search.fill("oak wor")
    option = page.locator("[data-testid=bulk-picker-customer] [role=option]")
    expect(option).to_have_count(1)  # the answer to "oak wor", not to the focus's first search
    assert "Picker Oak Works" in option.first.inner_text()
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == option.first.get_attribute("id")
    search.press("Enter")  # chooses; does not submit the form
    chip = page.locator(f"[data-testid=bulk-picker-customer] [data-picked='{oak}']")
    assert chip.count() == 1 and page.url.endswith(f"id%20%3D%3D%20{order}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    screenshot(page, "record-bulk-picker-phone-zh")
    page.click("[data-testid=bulk-edit]")
    page.wait_for_load_state()
    assert "1" in page.locator(".alert-success").first.inner_text()
    page.goto(f"{records_server}/records/order/{order}")
    assert "Picker Oak Works" in page.locator("dd[data-field=customer]").inner_text()
    # a tap chooses too, and a chosen record can be removed again
    page.goto(f"{records_server}/records/order?filter=id%20%3D%3D%20{order}")
    page.select_option("#bulk-field", "customer")
    page.locator("#bulk-value-customer").fill("pine")
    tapped = page.locator("[data-testid=bulk-picker-customer] [role=option]")
    expect(tapped).to_have_count(1)
    tapped.first.click()  # a tap on a phone fires the same mousedown
    assert page.locator(f"[data-testid=bulk-picker-customer] [data-picked='{pine}']").count() == 1
    page.locator(f"[data-testid=bulk-picker-customer] [data-picked='{pine}'] button").click()
    assert page.locator("[data-testid=bulk-picker-customer] [data-picked]").count() == 0
