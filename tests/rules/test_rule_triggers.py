"""The other triggers: webhook (HMAC), manual, schedule (cron), date-relative, process events; dry runs."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from server.models import RuleRun, RuleSchedule
from server.rules.service import signature
from server.rules.sweep import sweep_schedules
from tests.rules.conftest import create, get, run, run_due_jobs, runs, save_rule
from tests.rules.conftest import update as update_record

HOOK = {"key": "inbound", "trigger": {"type": "webhook"}, "condition": "payload.amount > 10",
        "actions": [{"id": "make", "type": "create_record", "recordType": "material",
                     "fields": {"name": "=payload.name", "stock": "=payload.amount"}}]}


def _db(api: Any) -> Any:
    return api.app.extensions["boms_db"]


def test_webhook_needs_the_signature_and_a_resend_runs_once(rules_api: Any) -> None:
    api = rules_api
    secret = save_rule(api, HOOK)["webhookSecret"]
    body = json.dumps({"name": "Gear", "amount": 12}).encode()
    assert api.client.post("/api/v1/hooks/inbound", data=body).status_code == 401
    bad = {"X-BOMS-Signature": signature(secret, b"other"), "Content-Type": "application/json"}
    assert api.client.post("/api/v1/hooks/inbound", data=body, headers=bad).status_code == 401
    good = {"X-BOMS-Signature": signature(secret, body), "X-BOMS-Delivery": "d-1"}
    first = api.client.post("/api/v1/hooks/inbound", data=body, headers=good)
    assert first.status_code == 202, first.get_json()
    again = api.client.post("/api/v1/hooks/inbound", data=body, headers=good)
    assert again.status_code == 202 and again.get_json()["run"] == first.get_json()["run"]
    assert api.client.post("/api/v1/hooks/nope", data=body, headers=good).status_code == 404
    run_due_jobs(api.app)
    items = api.get("admin", "/api/v1/records/material").get_json()["items"]
    assert [(i["fields"]["name"], i["createdBy"]) for i in items] == [("Gear", "rule:inbound")]


def test_dry_run_shows_each_step_and_writes_nothing(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "dry", "trigger": {"type": "record", "recordType": "material", "on": ["updated"]},
                    "condition": "record.stock < record.safety_stock",
                    "actions": [{"id": "up", "type": "update_record", "fields": {"stock": "=record.safety_stock"}},
                                {"id": "ping", "type": "call_webhook", "url": "http://127.0.0.1:9/never"},
                                {"id": "count", "type": "query_records", "recordType": "material",
                                 "filter": "stock >= 5"}]})
    item = create(api, "material", name="Cog", stock=1, safety_stock=5)
    response = api.post("admin", "/api/v1/rules/dry/test", json={"recordId": item["id"]})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["conditionMet"] is True and answer["status"] == "done" and answer["written"] is False
    assert [s["action"] for s in answer["steps"]] == ["up", "ping", "count"]
    assert answer["steps"][0]["result"]["updated"] == [item["id"]]
    assert "would call out" in answer["steps"][1]["note"]
    assert answer["steps"][2]["result"]["count"] == 1  # sees its own update, rolled back after
    assert get(api, "material", item["id"])["fields"]["stock"] == 1
    assert runs(api, "dry") == []
    inline = api.post("modeler", "/api/v1/rules/dry/test", json={"record": {"stock": 9, "safety_stock": 5}})
    assert inline.get_json()["conditionMet"] is False
    assert api.post("sam", "/api/v1/rules/dry/test", json={}).status_code == 403


def test_manual_trigger_for_chosen_records(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "zero", "trigger": {"type": "manual", "recordType": "material"},
                    "actions": [{"type": "update_record", "fields": {"stock": 0}}]})
    a, b = create(api, "material", name="A", stock=3), create(api, "material", name="B", stock=4)
    response = api.post("admin", "/api/v1/rules/zero/trigger", json={"recordIds": [a["id"], b["id"]]})
    assert response.status_code == 202, response.get_json()
    run_due_jobs(api.app)
    assert [get(api, "material", r["id"])["fields"]["stock"] for r in (a, b)] == [0, 0]


def test_cron_rule_fires_missed_times_once_and_moves_on(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "nightly", "trigger": {"type": "schedule", "cron": "0 2 * * *",
                                                  "timezone": "Asia/Shanghai"},
                    "actions": [{"type": "create_record", "recordType": "material", "fields": {"name": "tick"}}]})
    with _db(api).read() as session:
        due = session.scalar(select(RuleSchedule.due_at).where(RuleSchedule.rule_key == "nightly"))
    assert due.hour == 18 and due.minute == 0  # 02:00 in Shanghai is 18:00 UTC
    with _db(api).write() as session:  # BOMS was down for three days
        session.execute(update(RuleSchedule).values(due_at=datetime.utcnow() - timedelta(days=3)))
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 1
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 0
    run_due_jobs(api.app)
    assert len(api.get("admin", "/api/v1/records/material").get_json()["items"]) == 1
    with _db(api).read() as session:
        assert session.scalar(select(RuleSchedule.due_at).where(RuleSchedule.rule_key == "nightly")) > \
            datetime.utcnow()


def test_date_rule_is_rescheduled_on_change_and_cancelled_on_delete(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "remind", "trigger": {"type": "date", "recordType": "lead", "field": "status_changed_at",
                                                 "offset": -2, "unit": "days"},
                    "actions": [{"type": "update_record", "fields": {"needs_follow_up": True}}]})
    lead = create(api, "lead", name="ACME", status_changed_at="2030-01-10T09:00:00Z")
    with _db(api).read() as session:
        [row] = session.scalars(select(RuleSchedule)).all()
        assert row.due_at == datetime(2030, 1, 8, 9, 0)
    lead = update_record(api, "lead", lead, status_changed_at="2020-01-10T09:00:00Z")  # now in the past
    with _db(api).read() as session:
        assert session.scalar(select(RuleSchedule.due_at)) == datetime(2020, 1, 8, 9, 0)
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 1
    run_due_jobs(api.app)
    assert get(api, "lead", lead["id"])["fields"]["needs_follow_up"] is True
    other = create(api, "lead", name="Beta", status_changed_at="2031-01-01T00:00:00Z")
    assert api.client.delete(f"/api/v1/records/lead/{other['id']}", headers=api.headers("admin")).status_code == 204
    with _db(api).read() as session:
        assert session.scalars(select(RuleSchedule)).all() == []


def test_process_events_trigger_rules(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "on_start", "trigger": {"type": "process", "process": "purchase_request",
                                                   "on": ["instance.started"]},
                    "condition": "instance.variables.amount > 100",
                    "actions": [{"type": "create_record", "recordType": "material",
                                 "fields": {"name": "=instance.variables.item",
                                            "stock": "=instance.variables.amount"}}]})
    api.start("alice", "purchase_request", {"item": "Desk", "amount": 500, "reason": "new hire"})
    api.start("alice", "purchase_request", {"item": "Pen", "amount": 2, "reason": "writing"})
    run_due_jobs(api.app)
    [made] = api.get("admin", "/api/v1/records/material").get_json()["items"]
    assert made["fields"] == {"name": "Desk", "stock": 500, "safety_stock": 0}
    [r] = runs(api, "on_start")
    assert run(api, r["id"])["status"] == "done"


def test_an_import_fires_record_rules_only_when_asked(rules_api: Any) -> None:
    save_rule(rules_api, {"key": "on_import", "name": "Imported material",
                          "trigger": {"type": "record", "recordType": "material", "on": ["created"]},
                          "actions": [{"id": "flag", "type": "update_record", "fields": {"stock": 99}}]})

    def imported(name: str, fire: bool) -> None:
        data = {"file": (io.BytesIO(f"name,stock,safety_stock\n{name},1,0\n".encode()), "m.csv"),
                "options": json.dumps({"fireRules": fire})}
        response = rules_api.client.post("/api/v1/records/material/imports", headers=rules_api.headers("admin"),
                                         data=data, content_type="multipart/form-data")
        assert response.status_code == 202, response.get_json()
        run_due_jobs(rules_api.app)
        assert rules_api.get("admin", f"/api/v1/imports/{response.get_json()['id']}").get_json()["status"] == "done"

    imported("Quiet", fire=False)
    assert runs(rules_api, "on_import") == []
    imported("Loud", fire=True)
    run_due_jobs(rules_api.app)
    assert [r["status"] for r in runs(rules_api, "on_import")] == ["done"]
    stocks = {i["fields"]["name"]: i["fields"]["stock"]
              for i in rules_api.get("admin", "/api/v1/records/material").get_json()["items"]}
    assert stocks == {"Quiet": 1, "Loud": 99}


def test_a_date_firing_that_ran_before_does_not_run_again(rules_api: Any) -> None:
    """A record whose date comes back to a moment that already fired: the sweep's batched look-up of existing
    runs finds it, so there is one run, not two, and the sweep does not fail."""
    api = rules_api
    save_rule(api, {"key": "soon", "trigger": {"type": "date", "recordType": "material", "field": "created_at",
                                               "offset": 0, "unit": "days"},
                    "actions": [{"type": "update_record", "fields": {"stock": 7}}]})
    create(api, "material", name="A", stock=1)
    database = _db(api)
    assert sweep_schedules(database, api.app.config["BOMS"]) == 1
    with database.write() as session:  # the same firing scheduled again (as if the date had come back)
        [old] = session.scalars(select(RuleRun)).all()
        session.add(RuleSchedule(rule_key="soon", record_type="material", record_id=int(old.event_key.split(":")[1]),
                                 due_at=datetime.fromisoformat(old.event_key.split(":", 2)[2].rstrip("Z")), fired=0))
    sweep_schedules(database, api.app.config["BOMS"])
    assert len(runs(api, "soon")) == 1
