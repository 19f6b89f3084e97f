"""The Content-Security-Policy in Chromium: the staff instance page, the admin model and instance pages and a
Flask-Admin list (menus, tabs, filters clicked) render — bpmn-js included — with no CSP violation."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import ROOT, screenshot

PASSWORD = "e2e-csp-password"
# Every violation is an event on the document; the init script runs before any page script, outside the CSP.
WATCH = ("window.__csp = [];"
         "document.addEventListener('securitypolicyviolation', function (e) {"
         "  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));"
         "});")


@pytest.fixture(scope="module")
def csp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from waitress import create_server

    from server.services.deployments import UploadedFile, deploy
    from server.services.identity import add_user
    from server.services.processes import start

    folder = tmp_path_factory.mktemp("e2e-csp")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "root", PASSWORD, roles=["admin"])
        alice = add_user(session, "alice", PASSWORD, roles=["staff"], groups=["employees"])
        files = [UploadedFile(p.name, p.read_bytes()) for p in (ROOT / "dmn/approval_route.dmn",
                                                               ROOT / "bpmn/purchase_request.bpmn")]
        deploy(session, files, "e2e", False)
    from server.auth.permissions import Principal

    with app.extensions["boms_db"].write() as session:
        alice = session.merge(alice)
        instance = start(session, app.extensions["boms_runner"], Principal.of(alice), "purchase_request",
                         {"item": "Pen", "amount": 5, "reason": "all gone"}, business_key="CSP-1")
        instance_id = instance.id
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.effective_port}", "instance": instance_id}
    server.close()


def _page(chromium: Any, base: str, who: str, console: list[str]) -> Any:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _violations(page: Any, console: list[str]) -> list[str]:
    return list(page.evaluate("window.__csp")) + [m for m in console if "Content Security Policy" in m]


def test_pages_render_without_csp_violations(chromium: Any, csp_server: dict[str, Any]) -> None:
    base, instance_id = csp_server["url"], csp_server["instance"]
    console: list[str] = []
    staff = _page(chromium, base, "alice", console)
    staff.goto(f"{base}/instances/{instance_id}")
    staff.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    assert staff.locator("[data-testid=diagram] g.djs-element.active").count() >= 1
    with staff.expect_navigation():
        staff.select_option("select[name=lang]", "zh")  # the language menu submits itself (autosubmit.js)
    assert staff.locator("html").get_attribute("lang") == "zh"
    assert _violations(staff, console) == []
    screenshot(staff, "csp-staff-instance")

    admin = _page(chromium, base, "root", console)
    admin.goto(f"{base}/admin/models/")
    admin.click("[data-key=purchase_request] >> text=Diagram · start")
    admin.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    assert _violations(admin, console) == []
    admin.goto(f"{base}/admin/instances/{instance_id}")
    admin.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    assert _violations(admin, console) == []
    admin.goto(f"{base}/admin/users/")
    admin.click("text=People")  # Flask-Admin's menu toggle (href="javascript:void(0)")
    admin.click("a.nav-link.active")  # the "List" tab (href="javascript:void(0)")
    admin.click("text=Add Filter")
    admin.click("a.dropdown-item.filter")  # onclick="return false;"
    assert admin.url.startswith(f"{base}/admin/users/")
    assert _violations(admin, console) == []
    screenshot(admin, "csp-admin-users")
