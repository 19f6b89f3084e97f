"""In Chromium: a manager sends a travel request back to its requester with a comment and a file, the
requester corrects and resubmits it, the manager approves; the instance diagram shows the return as a
badge on the requester's step, its line in the reader's language (English and Chinese)."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import screenshot


def _open_task(page: Any, live_server: str, key: str, name: str) -> None:
    page.goto(f"{live_server}/inbox?tab=mine&q={key}")
    page.locator("[data-testid=tasks] a", has_text=name).first.click()
    page.wait_for_url(re.compile(r".*/tasks/.*"))


def test_requester_resubmits_after_a_return(page_for: Any, live_server: str, tmp_path: Any) -> None:
    alice = page_for("alice")
    alice.goto(f"{live_server}/start")
    alice.click("[data-key=travel_request]")
    alice.fill("#f-businessKey", "TRIP-1")
    alice.click("[data-testid=start-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/tasks/.*"))  # her own first step
    alice.fill("#f-destination", "Shangahi")
    alice.click("[data-testid=task-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/inbox.*"))

    mike = page_for("mike")
    _open_task(mike, live_server, "TRIP-1", "Trip review")
    mike.click("[data-testid=action-return] summary")
    mike.select_option("[data-testid=action-return] select[name=to]", "initiator")
    mike.fill("[data-testid=action-return] textarea[name=comment]", "Check the spelling of the city")
    note = tmp_path / "spelling.txt"
    note.write_text("Shanghai")
    mike.set_input_files("[data-testid=attachments-return]", str(note))
    mike.click("[data-testid=submit-return]")
    mike.wait_for_selector("text=The task was sent back.")

    _open_task(alice, live_server, "TRIP-1", "Fill in the trip")
    history = alice.locator("[data-testid=history]").inner_text()
    assert "mike sent the request back to Fill in the trip" in history and "Check the spelling" in history
    assert alice.locator("[data-testid=action-files] a", has_text="spelling.txt").count() == 1
    assert alice.input_value("#f-destination") in ("", "Shangahi")
    instance_url = alice.locator("a[href*='/instances/']").first.get_attribute("href")
    alice.fill("#f-destination", "Shanghai")
    alice.click("[data-testid=task-form] button[type=submit]")
    alice.wait_for_url(re.compile(r".*/inbox.*"))

    _open_task(mike, live_server, "TRIP-1", "Trip review")
    mike.click("button[name=tripDecision][value=approve]")
    mike.wait_for_url(re.compile(r".*/inbox.*"))

    alice_zh = page_for("alice", locale="zh-CN")
    alice_zh.goto(live_server + instance_url)
    alice_zh.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    badge = alice_zh.locator("[data-testid=trace-fill_in]")
    assert badge.inner_text().strip().endswith("1")
    badge.click()
    lines = alice_zh.locator(".diagram-trace-lines").inner_text()
    assert "mike" in lines and "Fill in the trip" in lines and "sent the request back" not in lines
    screenshot(alice_zh, "instance-trace-zh")

