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


def test_the_editor_offers_pickers_from_the_database(rules_api: Any, browser: Any) -> None:
    page = browser("modeler")
    html = page.get("/admin/rules/new").get_data(as_text=True)
    assert 'data-testid="rule-pickers"' in html and "admin/rule_editor.js" in html
    offered = json.loads(html.split('id="rule-picker-data">', 1)[1].split("</script>", 1)[0])
    material = next(t for t in offered["recordTypes"] if t["key"] == "material")
    assert {"stock", "safety_stock", "updated_at"} <= {f["key"] for f in material["fields"]}
    assert "purchase_request" in offered["processes"] and "purchasing" in offered["groups"]
    assert offered["actions"]["send_message"]["required"] == ["message"]
    assert "task.overdue" in offered["processEvents"] and "$me" in offered["roots"]["record"]
    assert "$me" not in offered["roots"]["schedule"]
    zh = page.get("/admin/rules/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "设置触发器" in zh and "添加动作" in zh


def test_the_editor_refuses_what_the_api_refuses_and_json_nested_too_deeply(rules_api: Any, browser: Any) -> None:
    """The rule editor reads its JSON as the API reads a body (admin/feedback.definition_json): nesting past the
    parser's recursion and a NaN are refused on the page, not a 500, and nothing is saved."""
    page = browser("admin")
    deep = page.post("/admin/rules/save", data={"definition": "[" * 100_000 + "]" * 100_000},
                     from_page="/admin/rules/new")
    assert deep.status_code == 200 and "nested too deeply" in deep.get_data(as_text=True)
    nan = page.post("/admin/rules/save", data={"definition": json.dumps({**RULE, "rateLimit": {
        "runs": float("nan"), "perMinutes": 1}})}, from_page="/admin/rules/new")
    assert nan.status_code == 200 and "not saved" in nan.get_data(as_text=True)
    assert rules_api.get("admin", "/api/v1/rules/flag").status_code == 404
