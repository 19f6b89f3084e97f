"""Record-triggered rules end to end: the run is written with the change, runs once, acts as the rule."""

from __future__ import annotations

import contextlib
from typing import Any

from tests.rules.conftest import create, get, run, run_due_jobs, runs, save_rule, update

REORDER = {
    "key": "reorder_flag",
    "trigger": {"type": "record", "recordType": "material", "on": ["updated"], "fields": ["stock"]},
    "condition": "record.stock < record.safety_stock",
    "edge": True,
    "actions": [{"id": "bump", "type": "update_record", "fields": {"safety_stock": "=record.safety_stock + 1"}},
                {"id": "find", "type": "query_records", "recordType": "material", "filter": "stock < 5"}],
}


def test_update_runs_the_rule_once_and_acts_as_the_rule(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, REORDER)
    item = create(api, "material", name="Bolt", stock=10, safety_stock=5)
    item = update(api, "material", item, stock=3)
    assert [r["status"] for r in runs(api, "reorder_flag")] == ["pending"]
    assert run_due_jobs(api.app) >= 1
    assert run_due_jobs(api.app) == 0  # nothing left: the run happened once
    [summary] = runs(api, "reorder_flag")
    detail = run(api, summary["id"])
    assert detail["status"] == "done", detail
    assert [s["action"] for s in detail["steps"]] == ["bump", "find"]
    assert detail["results"]["find"]["count"] == 1
    record = get(api, "material", item["id"])
    assert record["fields"]["safety_stock"] == 6
    assert record["updatedBy"] == "rule:reorder_flag"
    history = api.get("admin", f"/api/v1/records/material/{item['id']}/history").get_json()["items"]
    assert history[-1]["actor"] == "rule:reorder_flag"


def test_edge_rule_fires_only_when_the_condition_becomes_true(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {**REORDER, "actions": [REORDER["actions"][1]]})
    item = create(api, "material", name="Nut", stock=10, safety_stock=5)
    item = update(api, "material", item, stock=4)  # crosses: fires
    item = update(api, "material", item, stock=3)  # still below: no run
    item = update(api, "material", item, stock=8)  # back above: no run
    update(api, "material", item, stock=2)  # crosses again: fires
    assert len(runs(api, "reorder_flag")) == 2


def test_fields_narrow_updates(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {**REORDER, "edge": False, "actions": [REORDER["actions"][1]]})
    item = create(api, "material", name="Nut", stock=1, safety_stock=5)
    update(api, "material", item, name="Nut M8")  # stock did not change: not offered
    assert runs(api, "reorder_flag") == []


def test_a_failed_action_names_itself_and_can_be_retried(rules_api: Any) -> None:
    api = rules_api
    rule = {**REORDER, "edge": False, "actions": [
        {"id": "note", "type": "create_record", "recordType": "order",
         "fields": {"number": "=record.name", "customer": "=record.name"}}]}
    save_rule(api, rule)
    create(api, "order", number="Nut")  # the number the action will try to use: unique, so it fails
    item = create(api, "material", name="Nut", stock=10, safety_stock=5)
    update(api, "material", item, stock=1)
    run_due_jobs(api.app)
    [summary] = runs(api, "reorder_flag")
    detail = run(api, summary["id"])
    assert detail["status"] == "failed"
    assert detail["failedAction"] == "note"
    assert "already used" in detail["error"]
    assert detail["steps"][-1]["input"]["recordType"] == "order"
    # Fix the cause, retry from the log: the action runs, once.
    orders = api.get("admin", "/api/v1/records/order").get_json()["items"]
    assert api.client.delete(f"/api/v1/records/order/{orders[0]['id']}", headers=api.headers("admin")).status_code \
        == 204
    response = api.post("modeler", f"/api/v1/rule-runs/{summary['id']}/retry")
    assert response.status_code == 202, response.get_json()
    run_due_jobs(api.app)
    assert run(api, summary["id"])["status"] == "done"
    assert api.post("modeler", f"/api/v1/rule-runs/{summary['id']}/retry").status_code == 409
    assert [o["fields"]["number"] for o in api.get("admin", "/api/v1/records/order").get_json()["items"]] == ["Nut"]


def test_a_rule_feeding_itself_stops_at_the_depth_limit_naming_the_chain(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "forever", "trigger": {"type": "record", "recordType": "material", "on": ["updated"],
                                                  "fields": ["stock"]},
                    "actions": [{"type": "update_record", "fields": {"stock": "=record.stock + 1"}}]})
    item = create(api, "material", name="Loop", stock=0, safety_stock=0)
    update(api, "material", item, stock=1)
    for _ in range(12):
        run_due_jobs(api.app)
    items = runs(api, "forever")
    assert len(items) == 9  # 8 runs, then the 9th refused
    failed = [r for r in items if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["depth"] == 9
    assert "forever → forever" in failed[0]["error"] and "at most 8" in failed[0]["error"]
    assert get(api, "material", item["id"])["fields"]["stock"] == 9


def test_rate_limit_refuses_runs_beyond_it_visibly(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {**REORDER, "edge": False, "rateLimit": {"runs": 2, "perMinutes": 60},
                    "actions": [REORDER["actions"][1]]})
    item = create(api, "material", name="Nut", stock=10, safety_stock=50)
    for stock in (1, 2, 3):
        item = update(api, "material", item, stock=stock)
    statuses = sorted(r["status"] for r in runs(api, "reorder_flag"))
    assert statuses == ["limited", "pending", "pending"]


def test_a_crash_before_commit_leaves_the_run_to_run_once(rules_api: Any, monkeypatch: Any) -> None:
    """The worker dies mid-run (after the action, before the commit): nothing stays, the job runs again, once."""
    api = rules_api
    save_rule(api, {**REORDER, "edge": False, "actions": [REORDER["actions"][0]]})
    item = create(api, "material", name="Nut", stock=10, safety_stock=50)
    update(api, "material", item, stock=1)
    from server.rules import executor

    real = executor._record

    def crash(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(executor, "_record", crash)
    with contextlib.suppress(SystemExit):
        run_due_jobs(api.app)
    monkeypatch.setattr(executor, "_record", real)
    assert get(api, "material", item["id"])["fields"]["safety_stock"] == 50  # rolled back with the job
    from sqlalchemy import update as sql_update

    from server.models import Job
    from server.services.jobs import claim_due, run_jobs

    with api.app.extensions["boms_db"].write() as session:  # the lease of the killed worker runs out
        session.execute(sql_update(Job).where(Job.kind == "rule_run").values(locked_until=None, status="pending"))
    run_jobs(api.app, claim_due(api.app.extensions["boms_db"]))
    run_due_jobs(api.app)
    assert get(api, "material", item["id"])["fields"]["safety_stock"] == 51
    assert [r["status"] for r in runs(api, "reorder_flag")] == ["done"]


def test_wait_decision_and_message_actions(rules_api: Any) -> None:
    """A decision's result feeds the next action; `wait` continues in a later job; a message is queued."""
    api = rules_api
    save_rule(api, {"key": "steps", "trigger": {"type": "record", "recordType": "material", "on": ["created"]},
                    "actions": [{"id": "route", "type": "evaluate_decision", "decision": "approval_route",
                                 "variables": {"amount": "=record.stock"}},
                                {"id": "pause", "type": "wait", "minutes": 5},
                                {"id": "note", "type": "update_record",
                                 "fields": {"name": "=record.name + ' ' + results.route.result.route"}},
                                {"id": "tell", "type": "send_message", "message": "stock_noted",
                                 "businessKey": "=record.name"}]})
    item = create(api, "material", name="Desk", stock=20000)
    run_due_jobs(api.app)
    [summary] = runs(api, "steps")
    assert summary["status"] == "waiting"
    from datetime import datetime

    from sqlalchemy import select
    from sqlalchemy import update as sql_update

    from server.models import Job

    database = api.app.extensions["boms_db"]
    with database.write() as session:
        session.execute(sql_update(Job).where(Job.kind == "rule_run", Job.status == "pending")
                        .values(due_at=datetime.utcnow()))
    run_due_jobs(api.app)
    detail = run(api, summary["id"])
    assert detail["status"] == "done", detail
    route = detail["results"]["route"]["result"]["route"]
    assert get(api, "material", item["id"])["fields"]["name"] == f"Desk {route}"
    with database.read() as session:
        messages = session.scalars(select(Job.payload).where(Job.kind == "message")).all()
    assert [m["name"] for m in messages] == ["stock_noted"] and messages[0]["businessKey"] == "Desk"


def test_send_message_correlates_by_instance_variables(rules_api: Any) -> None:
    api = rules_api
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "events/receive.bpmn")
    a, b = api.start("erin", "receive", {"caseNo": 7}), api.start("erin", "receive", {"caseNo": 8})
    save_rule(api, {"key": "arrived", "trigger": {"type": "record", "recordType": "material", "on": ["created"]},
                    "actions": [{"type": "send_message", "message": "document_arrived",
                                 "correlationKeys": {"caseNo": "=record.stock"}}]})
    create(api, "material", name="Scan", stock=8)
    run_due_jobs(api.app)
    tasks = {i["id"]: api.get("admin", f"/api/v1/process-instances/{i['id']}").get_json()["openTasks"]
             for i in (a, b)}
    assert tasks[a["id"]] == [] and [t["elementId"] for t in tasks[b["id"]]] == ["file_it"]
    bad = save_rule(api, {"key": "bad", "trigger": {"type": "manual"}, "actions": [
        {"type": "send_message", "message": "m", "correlationKeys": {"not a name": 1}}]}, expect=400)
    assert "correlationKeys" in str(bad)
