"""A process on a record in Chromium: a staff member opens a work order, starts the process bound to its
type with the record page's Start button, finds its `camunda:formKey="record:work_order"` task in the
inbox filled with the record's values, completes it; the record holds the new values, its history names
the change, and the record page lists the instance. Screenshots go to tests/e2e/screenshots/."""

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
from tests.e2e.conftest import ROOT, screenshot

PASSWORDS = {"wang": "e2e-process-wang", "li": "e2e-process-li"}
FIXTURES = ROOT / "tests/fixtures/record_processes"


@pytest.fixture(scope="module")
def process_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A BOMS of its own with the work-order type, the process bound to it, and two staff members."""
    from waitress import create_server

    from server.services.deployments import UploadedFile, deploy
    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-record-process")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        for name, secret in PASSWORDS.items():
            add_user(session, name, secret, roles=["staff"])
        files = [FIXTURES / "work_order.record.json", FIXTURES / "wo_from_record.bpmn"]
        deploy(session, [UploadedFile(p.name, p.read_bytes()) for p in files], "e2e", False)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def open_as(chromium: Any, process_server: str) -> Iterator[Any]:
    contexts = []

    def open_page(name: str, locale: str = "en-US", width: int = 1400) -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{process_server}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORDS[name])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


def _value(page: Any, key: str) -> str:
    return page.locator(f"[data-testid=record-values] [data-field={key}]").inner_text().strip()


def test_start_from_the_record_complete_in_the_inbox_and_the_record_follows(open_as: Any,
                                                                          process_server: str) -> None:
    wang = open_as("wang")
    wang.goto(f"{process_server}/records/work_order/new")
    wang.fill("#f-title", "Oak chair")
    wang.fill("#f-qty", "4")
    wang.click("[data-testid=save-record]")
    wang.wait_for_url(re.compile(r".*/records/work_order/\d+$"))
    record_url = wang.url
    assert wang.locator("[data-testid=record-instances]").count() == 0  # no instance yet
    wang.click("[data-testid=start-wo_report]")
    assert "Started Report a step." in wang.locator(".alert-success").inner_text()

    # The task waits in the pool of the inbox (no candidates named: any staff member); li claims it. Its
    # form is the record's, filled with what the record holds.
    li = open_as("li")
    li.goto(f"{process_server}/inbox?tab=groups")
    li.locator("[data-testid=tasks] a", has_text="Report the step").first.click()
    li.wait_for_url(re.compile(r".*/tasks/.*"))
    li.click("button:has-text('Claim')")
    li.wait_for_selector("text=The task is yours now.")
    assert li.input_value("#f-title") == "Oak chair" and li.input_value("#f-qty") == "4"
    assert li.locator("#f-cost").count() == 0  # a field staff may not write is not on the form
    li.fill("#f-qty", "0")  # refused by the record's own validation: nothing is written
    li.click("[data-testid=task-form] button[type=submit]")
    assert "at least 1" in li.locator("[data-field=qty] .invalid-feedback").inner_text()
    li.fill("#f-qty", "6")
    li.check("input[name=status][value=done]")
    screenshot(li, "record-process-task")
    li.click("[data-testid=task-form] button[type=submit]")
    li.wait_for_url(re.compile(r".*/inbox.*"))
    li.goto(f"{process_server}/inbox?tab=completed")
    assert "Report the step" in li.locator("[data-testid=tasks]").inner_text()

    wang.goto(record_url)
    assert _value(wang, "qty") == "6" and _value(wang, "status") == "Done"
    change = wang.locator("[data-testid=record-history] [data-kind='record.updated']").first.inner_text()
    assert "4" in change and "6" in change
    instances = wang.locator("[data-testid=record-instances] li")
    assert instances.count() == 1 and "Report a step" in instances.inner_text()
    instances.locator("a").click()
    wang.wait_for_url(re.compile(r".*/instances/.*"))
    assert wang.locator("[data-testid=status]").inner_text() == "completed"
    screenshot(wang, "record-process-instance")

    li.goto(record_url)
    assert _value(li, "qty") == "6" and "li" in li.locator("[data-testid=record-history]").inner_text()
    assert li.locator("[data-testid=start-wo_report]").is_visible()  # li may start one too
