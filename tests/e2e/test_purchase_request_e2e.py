"""The purchase request in Chromium, as staff would do it: start, claim, correct, approve, follow the path."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import screenshot


def _open_task_from_group_tab(page: Any, live_server: str, name: str) -> None:
    page.goto(f"{live_server}/inbox?tab=groups")
    page.locator("[data-testid=tasks] a", has_text=name).first.click()
    page.wait_for_url(re.compile(r".*/tasks/.*"))


def test_purchase_request_of_8000(page_for: Any, live_server: str) -> None:
    alice = page_for("alice")
    alice.goto(f"{live_server}/start")
    alice.click("[data-key=purchase_request]")
    alice.fill("#f-businessKey", "PR-E2E-1")
    alice.fill("#f-item", "Laptop")
    alice.fill("#f-amount", "0")
    alice.fill("#f-reason", "the old one broke")
    alice.click("[data-testid=start-form] button[type=submit]")
    assert alice.locator("[data-field=amount] .invalid-feedback").inner_text().endswith("must be at least 1")
    assert alice.input_value("#f-item") == "Laptop"  # what was typed is kept
    # timezone.js told the server the browser's zone (date-time inputs are read in it).
    zone = alice.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert zone and alice.input_value("input[name=boms-tz]") == zone
    alice.fill("#f-amount", "8000")
    alice.click("[data-testid=start-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/instances/.*"))
    instance_url = alice.url
    assert alice.locator("[data-testid=business-key]").inner_text() == "PR-E2E-1"

    mike = page_for("mike")
    mike.goto(f"{live_server}/inbox?tab=groups")
    assert mike.locator("[data-testid=count-groups]").inner_text() == "1"
    screenshot(mike, "inbox-manager-groups")
    _open_task_from_group_tab(mike, live_server, "Manager approval")
    mike.click("button:has-text('Claim')")
    mike.wait_for_selector("text=The task is yours now.")
    # The textarea's maxlength stops a browser; the server's check must hold without it too.
    mike.eval_on_selector("#f-managerComment", "el => el.removeAttribute('maxlength')")
    mike.fill("#f-managerComment", "x" * 600)
    mike.click("button[name=managerDecision][value=approve]")
    assert mike.locator(".invalid-feedback", has_text="at most 500 characters").is_visible()
    screenshot(mike, "task-form-with-message")
    mike.fill("#f-managerComment", "Fine, order it.")
    mike.click("button[name=managerDecision][value=approve]")
    mike.wait_for_url(re.compile(r".*/inbox.*"))

    fiona = page_for("fiona")
    _open_task_from_group_tab(fiona, live_server, "Finance director approval")
    assert fiona.locator("#f-amount").inner_text() == "8,000"  # read-only: shown in the reader's format
    fiona.click("button:has-text('Claim')")
    fiona.click("button[name=financeDecision][value=approve]")
    fiona.wait_for_url(re.compile(r".*/inbox.*"))

    alice.goto(instance_url)
    alice.wait_for_selector(".diagram .djs-element.completed")
    ids = "els => els.map(e => e.dataset.elementId)"
    completed = alice.eval_on_selector_all(".diagram .djs-element.completed", ids)
    taken = alice.eval_on_selector_all(".diagram .djs-element.taken", ids)
    assert {"manager_approval", "finance_approval", "end_approved"} <= set(completed)
    assert {"flow_mgr_approved_finance", "flow_fin_approved"} <= set(taken)
    assert "flow_mgr_rejected" not in taken
    assert alice.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark stays
    assert alice.locator("[data-testid=status]").inner_text().strip() == "completed"
    screenshot(alice, "instance-completed-path")


def test_the_inbox_in_chinese(page_for: Any, live_server: str) -> None:
    mike = page_for("mike", locale="zh-CN")
    mike.goto(f"{live_server}/inbox")
    assert mike.locator("html").get_attribute("lang") == "zh"
    screenshot(mike, "inbox-zh")


def test_a_correction_in_chinese(page_for: Any, live_server: str) -> None:
    alice = page_for("alice", locale="zh-CN")
    alice.goto(f"{live_server}/start/purchase_request")
    alice.fill("#f-item", "笔记本电脑")
    alice.fill("#f-amount", "0")
    alice.fill("#f-reason", "旧的坏了")
    alice.click("[data-testid=start-form] button[type=submit]")
    assert alice.locator("[data-field=amount] .invalid-feedback").inner_text() == "不能小于 1"
    assert alice.locator("[data-field=reason] .invalid-feedback").inner_text() == "至少需要 5 个字符"
    screenshot(alice, "start-form-corrections-zh")
    alice.goto(f"{live_server}/no-such-page")
    assert alice.locator("[data-testid=error-message]").inner_text() == "此页面不存在。"
