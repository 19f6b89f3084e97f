"""Browser tests: a real BOMS server on loopback and Debian's Chromium driven by Playwright.

Chromium comes from Debian (`make chromium`; Playwright's own browser download does not work here).
Without it the tests skip and say why, unless BOMS_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("BOMS_CHROMIUM", "/usr/bin/chromium")
PEOPLE = {  # name: (roles, groups, manager)
    "alice": (["staff"], ["employees"], "mike"),
    "mike": (["staff"], ["managers", "employees"], "fiona"),
    "fiona": (["staff"], ["finance", "employees"], None),
}
ORDER = ["fiona", "mike", "alice"]  # managers first, so reporting lines resolve


def password(name: str) -> str:
    return f"e2e-password-{name}"


@contextmanager
def serving(folder: Path, seed: Callable[[Any], None]) -> Iterator[tuple[str, Any]]:
    """A BOMS app on a fresh SQLite file in ``folder``, ``seed``-ed in one write transaction, served by waitress
    on loopback: (its base URL, the app)."""
    from waitress import create_server

    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    # A strong key (weak ones are refused outside tests); plain HTTP on loopback, so no Secure cookie.
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        seed(session)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        server.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from waitress import create_server

    from server.services.deployments import UploadedFile, deploy
    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    # A strong key (weak ones are refused outside tests); plain HTTP on loopback, so no Secure cookie.
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        for name in ORDER:
            roles, groups, manager = PEOPLE[name]
            add_user(session, name, password(name), roles=roles, groups=groups, manager=manager)
        files = [UploadedFile(p.name, p.read_bytes()) for p in (ROOT / "dmn/approval_route.dmn",
                                                               ROOT / "bpmn/purchase_request.bpmn")]
        deploy(session, files, "e2e", False)
        # A request the requester fills in as a step of its own, so it can be sent back to them to resubmit.
        resubmit = ROOT / "tests/fixtures/approvals/resubmit.bpmn"
        deploy(session, [UploadedFile(resubmit.name, resubmit.read_bytes())], "e2e", False)
        # Rows and a file upload (test_files_rows_e2e.py); its approval lane has none of the people above.
        spiff = ROOT / "tests/fixtures/spiff"
        deploy(session, [UploadedFile(p.name, p.read_bytes()) for p in (spiff / "order-lines.bpmn",
                                                                        spiff / "order-lines-schema.json")],
               "e2e", False)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (install it with `make chromium`)"
        if os.environ.get("BOMS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; BOMS_REQUIRE_BROWSER=1 requires the browser tests to run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    user_data = Path(os.environ.get("TMPDIR", "/tmp")) / f"boms-chromium-{os.getpid()}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
    shutil.rmtree(user_data, ignore_errors=True)


@pytest.fixture
def page_for(chromium: Any, live_server: str) -> Iterator[Any]:
    """page_for("alice", locale="zh-CN", width=375) opens a fresh browser context logged in as that user."""
    contexts = []

    def open_page(name: str, locale: str = "en-US", width: int = 1400) -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", password(name))
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/inbox**")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
