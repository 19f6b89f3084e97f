"""Saving rules: versions, refusals naming what is wrong, enable/disable/delete, deploy, permissions."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.rules.conftest import create, demo_rule, run_due_jobs, runs, save_rule, update

BASE = {"key": "r1", "trigger": {"type": "record", "recordType": "material", "on": ["updated"]},
        "actions": [{"id": "a", "type": "update_record", "fields": {"stock": 0}}]}


@pytest.mark.parametrize(("change", "names"), [
    ({"condition": "record.stock <"}, "Syntax error"),
    ({"condition": "record.stok < 1"}, "no field 'stok'"),
    ({"condition": "task.name == 'x'"}, "unknown name 'task'"),
    ({"trigger": {"type": "record", "recordType": "nope"}}, "no record type 'nope'"),
    ({"trigger": {"type": "schedule", "cron": "every day"}}, "not a cron expression"),
    ({"trigger": {"type": "schedule", "cron": "0 8 * * *", "timezone": "Mars/Base"}}, "unknown time zone"),
    ({"actions": [{"type": "start_process", "process": "nope"}]}, "no process 'nope'"),
    ({"actions": [{"type": "update_record", "fields": {"colour": "red"}}]}, "no field(s) colour"),
    ({"actions": [{"type": "notify", "users": ["ghost"], "title": "x"}]}, "no user 'ghost'"),
    ({"actions": [{"type": "call_connector", "connector": "fax"}]}, "no connector 'fax'"),
    ({"actions": [{"type": "teleport"}]}, "type must be one of"),
    ({"actions": [{"id": "x", "type": "stop_if", "condition": "results.later.ok"}]}, "names no earlier action"),
    ({"edge": True}, "'edge' needs a condition"),
])
def test_bad_rules_are_refused_naming_the_problem(rules_api: Any, change: dict[str, Any], names: str) -> None:
    response = rules_api.post("modeler", "/api/v1/rules", json={**BASE, **change})
    assert response.status_code == 400, response.get_json()
    assert names in response.get_json()["error"]["message"]
    assert rules_api.get("admin", "/api/v1/rules").get_json()["items"] == []


def test_versions_enable_disable_delete(rules_api: Any) -> None:
    api = rules_api
    first = save_rule(api, BASE)
    assert first["version"] == 1 and first["enabled"] is True
    assert api.post("modeler", "/api/v1/rules", json=BASE).status_code == 200  # unchanged
    second = api.client.put("/api/v1/rules/r1", headers=api.headers("modeler"), json={**BASE, "name": "Renamed"})
    assert second.status_code == 201 and second.get_json()["version"] == 2
    assert api.post("modeler", "/api/v1/rules/r1/disable").get_json()["enabled"] is False
    [listed] = api.get("auditor", "/api/v1/rules").get_json()["items"]
    assert listed["enabled"] is False and listed["failures24h"] == 0 and listed["lastRunAt"] is None
    assert api.post("modeler", "/api/v1/rules/r1/enable").get_json()["enabled"] is True
    assert api.post("sam", "/api/v1/rules", json=BASE).status_code == 403
    assert api.post("auditor", "/api/v1/rules/r1/disable").status_code == 403
    assert api.client.delete("/api/v1/rules/r1", headers=api.headers("modeler")).status_code == 204
    assert api.get("admin", "/api/v1/rules/r1").status_code == 404
    audit = api.get("admin", "/api/v1/audit-events", query_string={"subjectType": "rule"})
    if audit.status_code == 200:
        kinds = [e["kind"] for e in audit.get_json()["items"]]
        assert "rule.saved" in kinds and "rule.deleted" in kinds


def test_rules_deploy_as_files_and_a_bad_file_changes_nothing(rules_api: Any) -> None:
    api = rules_api
    good = json.dumps(demo_rule("stock_below_safety")).encode()
    bad = json.dumps({**BASE, "key": "r2", "condition": "record.nope"}).encode()
    response = api.client.post("/api/v1/deployments", headers=api.headers("modeler"),
                               data={"file": [(io.BytesIO(good), "a.rule.json"), (io.BytesIO(bad), "b.rule.json")]},
                               content_type="multipart/form-data")
    assert response.status_code == 422, response.get_json()
    assert "b.rule.json" in response.get_json()["error"]["message"]
    assert api.get("admin", "/api/v1/rules").get_json()["items"] == []
    response = api.client.post("/api/v1/deployments", headers=api.headers("modeler"),
                               data={"file": [(io.BytesIO(good), "a.rule.json")]},
                               content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert [r["key"] for r in api.get("admin", "/api/v1/rules").get_json()["items"]] == ["stock_below_safety"]


def test_me_is_the_actor_where_there_is_one_and_refused_where_none_can_be(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "mine", "trigger": {"type": "record", "recordType": "material", "on": ["updated"]},
                    "condition": "$me == 'sam'",
                    "actions": [{"type": "create_record", "recordType": "order",
                                 "fields": {"number": "='by ' + $me"}}]})
    item = create(api, "material", name="Bolt", stock=3)
    update(api, "material", item, who="paul", stock=2)
    update(api, "material", item, who="sam", stock=1)
    run_due_jobs(api.app)
    assert len(runs(api, "mine")) == 1
    [order] = api.get("admin", "/api/v1/records/order").get_json()["items"]
    assert order["fields"]["number"] == "by sam"
    for trigger in ({"type": "schedule", "cron": "0 * * * *"},
                    {"type": "date", "recordType": "material", "field": "updated_at", "offset": 1}):
        refused = save_rule(api, {"key": "nobody", "trigger": trigger, "condition": "$me == 'sam'",
                                  "actions": [{"type": "create_record", "recordType": "order",
                                               "fields": {"number": "x"}}]}, expect=400)
        assert "`$me`" in str(refused) and "has no value" in str(refused)
