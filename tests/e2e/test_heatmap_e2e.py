"""The process heatmap in Chromium: from the version page to the heatmap, whose badges and flow counts are
drawn on the bpmn-js diagram; a bad filter is said on the page. Screenshot in tests/e2e/screenshots/."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import screenshot

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-heatmap-password"


@pytest.fixture(scope="module")
def heatmap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A BOMS of its own: one admin, the heatmap demo process, two instances waiting in `review`."""
    from waitress import create_server

    from server.auth.permissions import Principal
    from server.models import ProcessVersion
    from server.services.deployments import UploadedFile, deploy
    from server.services.identity import add_user
    from server.services.processes import start

    folder = tmp_path_factory.mktemp("e2e-heatmap")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    model = ROOT / "tests/fixtures/engine/heatmap_demo.bpmn"
    with app.app_context(), app.extensions["boms_db"].write() as session:
        user = add_user(session, "root", PASSWORD, roles=["admin"])
        deploy(session, [UploadedFile(model.name, model.read_bytes())], "e2e", False)
        who = Principal(user.id, "root", frozenset({"admin"}), frozenset())
        for amount in (100, 9000):
            start(session, app.extensions["boms_runner"], who, "heatmap_demo", {"amount": amount}, None)
        version_id = session.query(ProcessVersion.id).filter(ProcessVersion.key == "heatmap_demo").scalar()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", version_id
    server.close()


def test_the_heatmap_draws_its_badges_on_the_diagram(chromium: Any, heatmap_server: tuple[str, int]) -> None:
    base, version_id = heatmap_server
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors other than a failed load (the bad-filter page is a deliberate 400; those are checked below).
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 and "favicon" not in r.url else None)
    try:
        page.goto(f"{base}/login?next=/admin/")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.goto(f"{base}/admin/models/version/{version_id}")
        page.click("[data-testid=heatmap-link]")
        page.wait_for_selector("[data-testid=heatmap-diagram][data-rendered=true]")
        # The overlays sit on the shapes: the start passed twice, two instances wait in `review`.
        assert page.inner_text("[data-testid=heat-start]").startswith("2")
        assert page.inner_text("[data-testid=heat-review]").startswith("0 +2")
        assert page.inner_text("[data-testid=flow-f_start]") == "2"
        assert page.locator(".djs-element.heat-5").count() >= 1  # the hottest shape is coloured
        assert page.locator("[data-testid=waiting-link]").count() == 2
        screenshot(page, "heatmap")
        page.fill("#filter", "amount * 2 > 5")
        page.click("[data-testid=heatmap-apply]")
        assert "amount * 2 > 5" in page.inner_text("[data-testid=heatmap-problem]")
        page.fill("#filter", "amount >= 5000")
        page.click("[data-testid=heatmap-apply]")
        page.wait_for_selector("[data-testid=heatmap-diagram][data-rendered=true]")
        assert page.inner_text("[data-testid=heat-review]").startswith("0 +1")
        assert not errors, errors
        assert not missing, missing
    finally:
        context.close()
