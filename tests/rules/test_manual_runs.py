"""Manual rules run by hand: the API for staff (update permission and row scope checked), the "Run rule"
buttons of the record page and of a bulk selection in the list, and the audit of every press."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from server.models import AuditEvent
from tests.rules.conftest import create, get, run_due_jobs, runs, save_rule

ZERO = {"key": "zero", "name": "Zero the stock", "trigger": {"type": "manual", "recordType": "material"},
        "actions": [{"type": "update_record", "fields": {"stock": 0}}]}
NOTE = {"key": "note", "name": {"en": "Note", "zh": "备注"}, "fields": [
    {"key": "text", "label": {"en": "Text", "zh": "文本"}, "type": "text"}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create"]},
                    {"roles": ["staff"], "actions": ["update"], "rows": {"kind": "own", "field": "created_by"}}]}


def _pressed(api: Any) -> list[dict[str, Any]]:
    with api.app.extensions["boms_db"].read() as session:
        return [json.loads(e.data) | {"actor": e.actor} for e in session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "rule.triggered").order_by(AuditEvent.seq))]


def test_staff_run_a_manual_rule_on_records_they_may_update(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, ZERO)
    save_rule(api, {"key": "auto", "trigger": {"type": "record", "recordType": "material", "on": ["created"]},
                    "condition": "false", "actions": [{"type": "update_record", "fields": {"stock": 1}}]})
    a, b = create(api, "material", name="A", stock=3), create(api, "material", name="B", stock=4)
    response = api.post("sam", "/api/v1/rules/zero/trigger", json={"recordIds": [a["id"], b["id"]]})
    assert response.status_code == 202, response.get_json()
    run_due_jobs(api.app)
    assert [get(api, "material", r["id"])["fields"]["stock"] for r in (a, b)] == [0, 0]
    assert {r["actor"] for r in runs(api, "zero")} == {"sam"}
    [pressed] = _pressed(api)
    assert pressed["actor"] == "sam" and pressed["records"] == [a["id"], b["id"]] and len(pressed["runs"]) == 2
    # Only manual rules, only for named records, never twice the same record.
    assert api.post("sam", "/api/v1/rules/auto/trigger", json={"recordId": a["id"]}).status_code == 404
    assert api.post("sam", "/api/v1/rules/zero/trigger", json={}).status_code == 400
    twice = api.post("sam", "/api/v1/rules/zero/trigger", json={"recordIds": [a["id"], a["id"]]})
    assert twice.status_code == 400 and "twice" in str(twice.get_json())
    wrong = api.post("sam", "/api/v1/rules/zero/trigger", json={"recordIds": [a["id"]], "recordType": "order"})
    assert wrong.status_code == 400
    assert api.post("sam", "/api/v1/rules/zero/trigger", json={"recordIds": [999999]}).status_code == 404
    assert len(_pressed(api)) == 1  # refused presses change nothing


def test_a_record_outside_the_update_scope_is_refused_and_nothing_runs(rules_api: Any) -> None:
    api = rules_api
    assert api.post("modeler", "/api/v1/record-types", json=NOTE).status_code == 201
    save_rule(api, {"key": "clear", "trigger": {"type": "manual", "recordType": "note"},
                    "actions": [{"type": "update_record", "fields": {"text": ""}}]})
    api.user("ann", roles=("staff",))
    mine, theirs = create(api, "note", who="sam", text="x"), create(api, "note", who="ann", text="y")
    refused = api.post("sam", "/api/v1/rules/clear/trigger", json={"recordIds": [mine["id"], theirs["id"]]})
    assert refused.status_code == 403, refused.get_json()
    assert runs(api, "clear") == [] and _pressed(api) == []
    assert api.post("sam", "/api/v1/rules/clear/trigger", json={"recordIds": [mine["id"]]}).status_code == 202
    assert api.post("auditor", "/api/v1/rules/clear/trigger", json={"recordIds": [mine["id"]]}).status_code == 403


def test_run_rule_buttons_on_the_record_page_and_the_list(rules_api: Any, browser: Any) -> None:
    api = rules_api
    save_rule(api, ZERO)
    a, b, c = (create(api, "material", name=n, stock=5) for n in ("A", "B", "C"))
    page = browser("sam")
    record_page = page.get(f"/records/material/{a['id']}").get_data(as_text=True)
    assert 'data-rule="zero"' in record_page and "Zero the stock" in record_page
    pressed = page.post("/records/material/rules/zero/run", data={"row": str(a["id"])},
                        from_page=f"/records/material/{a['id']}")
    assert pressed.status_code == 302
    listing = page.get("/records/material").get_data(as_text=True)
    assert 'name="row"' in listing and 'data-testid="run-rules"' in listing
    bulk = page.post("/records/material/rules/zero/run", data={"row": [str(b["id"]), str(c["id"])]},
                     from_page="/records/material", follow_redirects=True).get_data(as_text=True)
    assert "queued for 2 records" in bulk
    none = page.post("/records/material/rules/zero/run", data={}, from_page="/records/material",
                     follow_redirects=True).get_data(as_text=True)
    assert "Select the records" in none
    run_due_jobs(api.app)
    assert [get(api, "material", r["id"])["fields"]["stock"] for r in (a, b, c)] == [0, 0, 0]
    zh = page.get("/records/material", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "为所选记录运行规则" in zh
    # A disabled rule shows no button; the auditor (no update permission) sees none either.
    assert api.post("modeler", "/api/v1/rules/zero/disable").status_code == 200
    assert 'data-rule="zero"' not in page.get(f"/records/material/{a['id']}").get_data(as_text=True)


def test_the_rate_limit_holds_within_one_press_of_many_records(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {**ZERO, "rateLimit": {"runs": 2, "perMinutes": 60}})
    ids = [create(api, "material", name=n, stock=1)["id"] for n in "ABC"]
    assert api.post("sam", "/api/v1/rules/zero/trigger", json={"recordIds": ids}).status_code == 202
    assert sorted(r["status"] for r in runs(api, "zero")) == ["limited", "pending", "pending"]
