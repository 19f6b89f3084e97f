"""Approval actions in Chromium: finance sends a request back to the manager, who approves again; a CC seen
in the CC me tab, in Chinese."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import screenshot


def _start(page: Any, live_server: str, key: str) -> None:
    page.goto(f"{live_server}/start")
    page.click("[data-key=purchase_request]")
    page.fill("#f-businessKey", key)
    page.fill("#f-item", "Desk")
    page.fill("#f-amount", "8000")
    page.fill("#f-reason", "standing desk")
    page.click("[data-testid=start-form] button[type=submit]")
    page.wait_for_url(re.compile(r".*/instances/.*"))


def _manager_approves(mike: Any, live_server: str, key: str, tab: str) -> None:
    mike.goto(f"{live_server}/inbox?tab={tab}&q={key}")
    mike.locator("[data-testid=tasks] a", has_text="Manager approval").first.click()
    mike.wait_for_url(re.compile(r".*/tasks/.*"))
    if mike.locator("button:has-text('Claim')").count():
        mike.click("button:has-text('Claim')")
    mike.click("button[name=managerDecision][value=approve]")
    mike.wait_for_url(re.compile(r".*/inbox.*"))


def _finance_task(fiona: Any, live_server: str, key: str) -> None:
    fiona.goto(f"{live_server}/inbox?tab=groups&q={key}")
    fiona.locator("[data-testid=tasks] a", has_text="Finance director approval").first.click()
    fiona.wait_for_url(re.compile(r".*/tasks/.*"))
    fiona.click("form[action$='/claim'] button")  # the label is in the reader's language
    fiona.wait_for_selector("[data-testid=approval-actions]")


def test_send_back_and_approve_again(page_for: Any, live_server: str) -> None:
    _start(page_for("alice"), live_server, "PR-RETURN-1")
    mike = page_for("mike")
    _manager_approves(mike, live_server, "PR-RETURN-1", "groups")
    fiona = page_for("fiona")
    _finance_task(fiona, live_server, "PR-RETURN-1")
    fiona.click("[data-testid=action-return] summary")
    fiona.select_option("[data-testid=action-return] select[name=to]", "previous")
    fiona.fill("[data-testid=action-return] textarea[name=comment]", "Which supplier?")
    screenshot(fiona, "task-send-back")
    fiona.click("[data-testid=submit-return]")
    fiona.wait_for_selector("text=The task was sent back.")
    _manager_approves(mike, live_server, "PR-RETURN-1", "mine")  # back with mike, who approved it before
    _finance_task(fiona, live_server, "PR-RETURN-1")
    assert fiona.locator("[data-testid=history]").inner_text().count("fiona sent the request back") == 1


def test_cc_shows_in_the_cc_me_tab_in_chinese(page_for: Any, live_server: str) -> None:
    _start(page_for("alice"), live_server, "PR-CC-1")
    mike = page_for("mike")
    _manager_approves(mike, live_server, "PR-CC-1", "groups")
    fiona = page_for("fiona", locale="zh-CN")
    _finance_task(fiona, live_server, "PR-CC-1")
    fiona.click("[data-testid=action-cc] summary")
    fiona.fill("[data-testid=action-cc] input[name=users]", "mike")
    fiona.click("[data-testid=submit-cc]")
    fiona.wait_for_selector("text=已抄送。")
    mike_zh = page_for("mike", locale="zh-CN")
    mike_zh.goto(f"{live_server}/inbox?tab=cc")
    assert "抄送我的" in mike_zh.locator(".nav-tabs").inner_text()
    assert mike_zh.locator("[data-testid=tasks]").inner_text().count("Finance director approval") >= 1
    screenshot(mike_zh, "inbox-cc-me-zh")
