"""The admin pages for rules: list, editor with check and dry run, run log, retry; in both languages."""

from __future__ import annotations

import json
from typing import Any

from tests.rules.conftest import create, run_due_jobs, runs, save_rule, update

RULE = {"key": "flag", "trigger": {"type": "record", "recordType": "material", "on": ["updated"]},
        "actions": [{"id": "one", "type": "create_record", "recordType": "order", "fields": {"number": "X"}}]}


def test_rules_pages(rules_api: Any, browser: Any) -> None:
    api = rules_api
    save_rule(api, RULE)
    create(api, "order", number="X")  # the action will fail: the number is taken
    item = create(api, "material", name="Bolt", stock=3)
    update(api, "material", item, stock=2)
    run_due_jobs(api.app)
    page = browser("admin")
    listing = page.get("/admin/rules/").get_data(as_text=True)
    assert 'data-key="flag"' in listing and "Failures (24 h)" in listing
    bad = page.post("/admin/rules/save", data={"definition": json.dumps({**RULE, "condition": "record.nope"})},
                    from_page="/admin/rules/new").get_data(as_text=True)
    assert "no field &#39;nope&#39;" in bad or "no field 'nope'" in bad
    broken = page.post("/admin/rules/save", data={"definition": "{oops"}, from_page="/admin/rules/new")
    assert "not valid JSON" in broken.get_data(as_text=True)
    tested = page.post("/admin/rules/flag/test", data={"test": json.dumps({"recordId": item["id"]})},
                       from_page="/admin/rules/flag/").get_data(as_text=True)
    assert "conditionMet" in tested
    [failed] = runs(api, "flag")
    log = page.get("/admin/rules/runs?status=failed").get_data(as_text=True)
    assert f"/admin/rules/runs/{failed['id']}" in log
    detail = page.get(f"/admin/rules/runs/{failed['id']}").get_data(as_text=True)
    assert "already used" in detail and "run-retry" in detail
    assert page.post(f"/admin/rules/runs/{failed['id']}/retry", from_page=f"/admin/rules/runs/{failed['id']}"
                     ).status_code == 302
    assert runs(api, "flag")[0]["status"] == "pending"
    zh = page.get("/admin/rules/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "失败次数（24 小时）" in zh and "停用" in zh
