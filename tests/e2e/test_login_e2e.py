"""The login page in a real browser, in English and Chinese."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import screenshot


def test_login_lands_in_the_inbox(page_for: Any) -> None:
    page = page_for("alice")
    assert page.locator("[data-testid=current-user]").inner_text() == "alice"
    screenshot(page, "login-inbox-en")


def test_wrong_password_message(chromium: Any, live_server: str) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".alert-danger").is_visible()
    context.close()
