"""The rule editor's pickers in Chromium (trigger, field, action and recipient picked, not typed; the rule
saves), and the "Run rule" buttons of a record list's bulk selection, with no CSP violation."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.test_csp_e2e import WATCH

PASSWORD = "e2e-rules-password"
MATERIAL = {"key": "material", "name": {"en": "Material", "zh": "物料"}, "fields": [
    {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"},
    {"key": "stock", "label": {"en": "Stock", "zh": "库存"}, "type": "integer"}]}


@pytest.fixture(scope="module")
def rules_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from waitress import create_server

    from server.auth.permissions import Principal
    from server.records import service as records
    from server.records import types
    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-rules")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "root", PASSWORD, roles=["admin"], groups=["purchasing"])
        types.save(session, MATERIAL, "e2e")
        who = Principal(0, "e2e", frozenset({"admin"}), frozenset())
        ids = [records.create(session, who, "material", {"name": n, "stock": 5})["id"] for n in ("A", "B")]
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.effective_port}", "app": app, "ids": ids}
    server.close()


@pytest.fixture
def root_page(chromium: Any, rules_server: dict[str, Any]) -> Iterator[Any]:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{rules_server['url']}/login?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{rules_server['url']}/admin/")
    yield page
    context.close()


def test_pick_a_rule_together_save_it_and_run_it_on_a_bulk_selection(root_page: Any,
                                                                      rules_server: dict[str, Any]) -> None:
    page, base = root_page, rules_server["url"]
    page.goto(f"{base}/admin/rules/new")
    page.fill("[data-testid=rule-json]", json.dumps({"key": "zero", "name": "Zero it", "actions": []}))
    page.select_option("#pick-trigger", "manual")
    page.select_option("#pick-type", "material")
    page.click("[data-testid=set-trigger]")
    page.select_option("[data-testid=pick-field]", "stock")
    page.click("[data-testid=field-condition]")
    page.select_option("[data-testid=pick-action]", "notify")
    page.click("[data-testid=add-action]")
    page.select_option("#pick-person", "group:purchasing")
    page.click("#add-person")
    rule = json.loads(page.input_value("[data-testid=rule-json]"))
    assert rule["trigger"] == {"type": "manual", "recordType": "material"}
    assert rule["condition"] == "record.stock"
    [action] = rule["actions"]
    assert action["type"] == "notify" and action["groups"] == ["purchasing"]
    action["title"] = "Zeroed"
    rule["actions"].append({"type": "update_record", "fields": {"stock": 0}})
    page.fill("[data-testid=rule-json]", json.dumps(rule))
    page.click("[data-testid=rule-save]")
    page.wait_for_load_state()
    assert "Saved rule zero version 1" in page.content()
    page.fill("[data-testid=rule-json]", "{broken")
    page.click("[data-testid=add-action]")
    assert page.is_visible("[data-testid=picker-error]")
    page.goto(f"{base}/records/material")
    for record_id in rules_server["ids"]:
        page.check(f"tr[data-record-id='{record_id}'] input[name=row]")
    page.click("[data-testid=run-rules] button[data-rule=zero]")
    page.wait_for_load_state()
    assert "queued for 2 records" in page.content()
    assert page.evaluate("window.__csp") == []


def test_build_a_condition_from_rows_save_it_and_read_it_back(root_page: Any, rules_server: dict[str, Any]) -> None:
    page, base = root_page, rules_server["url"]
    page.goto(f"{base}/admin/rules/new")
    page.fill("[data-testid=rule-json]", json.dumps({"key": "low", "name": "Low stock", "actions": [
        {"type": "update_record", "fields": {"stock": 10}}]}))
    page.select_option("#pick-trigger", "record")
    page.select_option("#pick-type", "material")
    page.click("[data-testid=set-trigger]")
    assert page.input_value("[data-testid=condition-text]") == ""
    page.click("[data-testid=cb-add-row]")
    page.select_option("[data-testid=cb-field]", "record.stock")
    page.select_option("[data-testid=cb-op]", "<")
    page.fill("[data-testid=cb-value]", "3")
    page.click("[data-testid=cb-add-group]")  # a group matching the other way: any of (OR)
    group = page.locator("[data-testid=cb-group]")
    group.locator("[data-testid=cb-field]").select_option("record.name")
    group.locator("[data-testid=cb-value]").fill('Bolt "M8"')
    group.locator("[data-testid=cb-group-add-row]").click()
    second = group.locator("[data-testid=cb-row]").nth(1)
    second.locator("[data-testid=cb-field]").select_option("old.stock")
    second.locator("[data-testid=cb-op]").select_option(">=")
    second.locator("[data-testid=cb-kind]").select_option("field")
    second.locator("[data-testid=cb-value-field]").select_option("record.stock")
    expected = 'record.stock < 3 && (record.name == "Bolt \\"M8\\"" || old.stock >= record.stock)'
    assert page.input_value("[data-testid=condition-text]") == expected
    assert json.loads(page.input_value("[data-testid=rule-json]"))["condition"] == expected
    page.click("[data-testid=rule-save]")
    page.wait_for_load_state()
    assert "Saved rule low version 1" in page.content()
    from server.rules import service

    with rules_server["app"].extensions["boms_db"].read() as session:
        from server.auth.permissions import Principal

        saved = service.get(session, Principal(0, "e2e", frozenset({"admin"}), frozenset()), "low")
    assert saved["condition"] == expected
    # The saved condition is read back into rows on the editor page.
    assert page.locator("[data-testid=cb-row]").count() == 3
    assert page.locator("[data-testid=cb-group] [data-testid=cb-value]").input_value() == 'Bolt "M8"'
    assert page.is_hidden("[data-testid=cb-unreadable]")
    # An expression the rows cannot show stays editable as text; a field the type lacks is refused at save.
    page.fill("[data-testid=condition-text]", "record.nope|upper == 'X'")
    page.press("[data-testid=condition-text]", "Tab")
    assert page.is_visible("[data-testid=cb-unreadable]")
    page.click("[data-testid=rule-save]")
    page.wait_for_load_state()
    assert "has no field &#39;nope&#39;" in page.content() or "has no field 'nope'" in page.content()
    assert page.evaluate("window.__csp") == []


def test_the_condition_builder_speaks_chinese(chromium: Any, rules_server: dict[str, Any]) -> None:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{rules_server['url']}/login?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{rules_server['url']}/admin/rules/new")
    page.click("[data-testid=cb-add-row]")
    assert page.locator("[data-testid=cb-add-row]").inner_text() == "添加一行"
    assert "小于" in page.locator("[data-testid=cb-op]").first.inner_text()
    context.close()
