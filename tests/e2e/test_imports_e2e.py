"""Import in Chromium: upload, map a column, preview, import with progress shown, download the error workbook."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import screenshot
from tests.imports.conftest import ITEM, csv_bytes


@pytest.fixture(scope="module")
def import_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from waitress import create_server

    from server.records import types
    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-imports")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "sam", "e2e-password-sam", roles=["staff"])
        types.save(session, ITEM, "e2e")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", app
    server.close()


def test_import_a_file_in_the_browser(chromium: Any, import_server: tuple[str, Any]) -> None:
    from server.services.jobs import run_due

    base, app = import_server
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "e2e-password-sam")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inbox**")

    page.goto(f"{base}/records/item/import")
    content = csv_bytes([["Code", "Label", "qty"], ["Z-1", "one", "1"], ["Z-2", "two", "lots"]])
    page.set_input_files("#import-file", files=[{"name": "items.csv", "mimeType": "text/csv", "buffer": content}])
    page.check("#import-skip")
    page.click("[data-testid=import-check]")
    page.wait_for_selector("[data-testid=import-status][data-status=previewed]")
    page.select_option("select[name='map:Label']", "name")  # the column the automatic mapping did not know
    screenshot(page, "import-mapping")
    page.click("[data-testid=import-start]")
    page.wait_for_url(re.compile(r".*/records/item/import/[0-9a-f-]{36}$"))
    assert page.locator("[data-testid=import-status]").get_attribute("data-status") == "pending"
    run_due(app)  # the worker's part; the page refreshes itself every 2 s while the import runs
    page.wait_for_selector("[data-testid=import-status][data-status=done]", timeout=30_000)
    assert "added: 1" in page.inner_text("[data-testid=import-counts]")
    screenshot(page, "import-done")
    with page.expect_download() as download:
        page.click("[data-testid=import-errors-download]")
    assert download.value.suggested_filename.startswith("errors-")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(2) == b"PK"
    context.close()
