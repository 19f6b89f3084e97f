"""Approval pages on a 375 px phone, in Chromium: a signer added beside the finance director (加签, parallel)
approves from their phone in Chinese, the director's own task page with its actions open in English, the
inbox tabs; nothing is wider than the screen. Screenshots go to tests/e2e/screenshots/phone-*.png."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import screenshot
from tests.e2e.test_approval_actions_e2e import _finance_task, _manager_approves, _start

PHONE = 375
# What sticks out to the right of the screen, for the failure message (a scroll box's content may).
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 376 && !e.parentElement?.closest('.table-responsive'))
  .slice(0, 6).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE:  # name what sticks out, for the failure message
        wide = page.evaluate(WIDE)
        raise AssertionError(f"{page.url} is {width} px wide on a {PHONE} px screen: {wide}")


def test_a_signer_beside_approves_on_a_phone(page_for: Any, live_server: str) -> None:
    _start(page_for("alice"), live_server, "PR-PHONE-1")
    mike = page_for("mike")
    _manager_approves(mike, live_server, "PR-PHONE-1", "groups")

    fiona = page_for("fiona", width=PHONE)
    _finance_task(fiona, live_server, "PR-PHONE-1")
    _fits(fiona)
    fiona.click("[data-testid=action-add_signers] summary")
    fiona.fill("[data-testid=action-add_signers] input[name=users]", "mike")
    fiona.select_option("[data-testid=action-add_signers] select[name=mode]", "parallel")
    _fits(fiona)
    screenshot(fiona, "phone-task-actions-en")
    fiona.click("[data-testid=submit-add_signers]")
    fiona.wait_for_selector("text=The signers were added.")
    assert "Signing beside you: mike." in fiona.locator("[data-testid=countersign]").inner_text()
    fiona.click("button[name=financeDecision][value=approve]")
    fiona.wait_for_url(re.compile(r".*/inbox.*"))

    alice = page_for("alice", width=PHONE)  # the requester sees both parts of the step
    alice.goto(f"{live_server}/inbox?tab=started&q=PR-PHONE-1")
    assert alice.locator("[data-testid=tasks]").inner_text().count("Finance director approval") == 2
    _fits(alice)
    screenshot(alice, "phone-started-en")

    mike_zh = page_for("mike", locale="zh-CN", width=PHONE)
    mike_zh.goto(f"{live_server}/inbox?tab=mine&q=PR-PHONE-1")
    _fits(mike_zh)
    screenshot(mike_zh, "phone-inbox-zh")
    mike_zh.locator("[data-testid=tasks] a", has_text="Finance director approval").first.click()
    mike_zh.wait_for_url(re.compile(r".*/tasks/.*"))
    assert "fiona" in mike_zh.locator("[data-testid=countersign]").inner_text()
    assert mike_zh.locator("[data-testid=action-transfer]").count() == 0  # the step is fiona's
    _fits(mike_zh)
    screenshot(mike_zh, "phone-task-countersign-zh")
    mike_zh.click("button[name=financeDecision][value=approve]")
    mike_zh.wait_for_url(re.compile(r".*/inbox.*"))

    alice.goto(f"{live_server}/inbox?tab=started&q=PR-PHONE-1")
    assert alice.locator("[data-testid=tasks]").count() == 0  # everyone signed: the request is approved
