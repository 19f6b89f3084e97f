"""Due firings of one rule run as a batch (server/rules/batch_runs.py): one write for many records, an audit
event per record naming the rule, and a failing run falls back to the one-by-one path without losing the others."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from server.models import AuditEvent, Job, RuleRun, RuleSchedule
from server.rules.sweep import sweep_schedules
from tests.rules.conftest import create, get, run_due_jobs, runs, save_rule

FOLLOW_UP = {"key": "follow_up", "trigger": {"type": "date", "recordType": "lead", "field": "status_changed_at",
                                             "offset": 15, "unit": "days"},
             "rateLimit": {"runs": 1000, "perMinutes": 1},
             "actions": [{"id": "flag", "type": "update_record", "fields": {"needs_follow_up": True}},
                         {"id": "skip", "type": "stop_if", "condition": "record.name == 'Lead 2'"},
                         {"id": "owner", "type": "update_record", "fields": {"owner": "='auto ' + record.name"}}]}


def _db(api: Any) -> Any:
    return api.app.extensions["boms_db"]


def _due_leads(api: Any, count: int) -> list[dict[str, Any]]:
    save_rule(api, FOLLOW_UP)
    leads = [create(api, "lead", name=f"Lead {n}", status_changed_at="2030-01-01T00:00:00Z") for n in range(count)]
    with _db(api).write() as session:
        session.execute(update(RuleSchedule).values(due_at=datetime.utcnow()))
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == count
    return leads


def _batched(api: Any) -> list[int]:
    """How many runs each run's steps say shared its batch."""
    with _db(api).read() as session:
        return [s.get("batch", 1) for steps in session.scalars(select(RuleRun.steps)) for s in steps]


def test_due_firings_run_as_one_batch_each_audited_as_the_rule(rules_api: Any) -> None:
    api = rules_api
    leads = _due_leads(api, 5)
    run_due_jobs(api.app)
    assert sorted(r["status"] for r in runs(api, "follow_up")) == ["done"] * 4 + ["stopped"]
    assert set(_batched(api)) == {4, 5}  # flag and skip for 5 runs, owner for the 4 not stopped
    for n, lead in enumerate(leads):
        fields = get(api, "lead", lead["id"])["fields"]
        assert fields["needs_follow_up"] is True
        assert fields["owner"] == (None if n == 2 else f"auto Lead {n}")
    with _db(api).read() as session:
        events = session.execute(select(AuditEvent.subject_id, AuditEvent.actor).where(
            AuditEvent.kind == "record.updated")).all()
        jobs = session.execute(select(Job.status, Job.attempts).where(Job.kind == "rule_run")).all()
    assert sorted(events) == sorted([(f"lead:{x['id']}", "rule:follow_up") for x in leads]
                                    + [(f"lead:{x['id']}", "rule:follow_up") for n, x in enumerate(leads) if n != 2])
    assert jobs == [("done", 1)] * 5
    assert run_due_jobs(api.app) == 0


def test_a_failing_run_falls_back_one_by_one_and_the_others_are_done(rules_api: Any) -> None:
    api = rules_api
    leads = _due_leads(api, 4)
    gone = leads[1]
    assert api.client.delete(f"/api/v1/records/lead/{gone['id']}", headers=api.headers("admin")).status_code == 204
    run_due_jobs(api.app)
    statuses = {r["eventKey"].split(":")[1]: r["status"] for r in runs(api, "follow_up")}
    assert statuses.pop(str(gone["id"])) == "failed"
    assert set(statuses.values()) == {"done", "stopped"}
    assert set(_batched(api)) == {1}  # the batch was given up: every run went one by one
    assert all(get(api, "lead", x["id"])["fields"]["needs_follow_up"] for x in leads if x is not gone)


def test_a_crash_mid_batch_keeps_nothing_and_each_run_happens_once(rules_api: Any, monkeypatch: Any) -> None:
    api = rules_api
    leads = _due_leads(api, 3)
    from server.rules import batch_runs
    from server.services.jobs import claim_due, run_jobs

    real = batch_runs._update

    def crash(*args: Any) -> Any:
        real(*args)
        raise SystemExit("worker killed")

    monkeypatch.setattr(batch_runs, "_update", crash)
    with contextlib.suppress(SystemExit):
        run_due_jobs(api.app)
    monkeypatch.setattr(batch_runs, "_update", real)
    assert [get(api, "lead", x["id"])["fields"]["needs_follow_up"] for x in leads] == [None] * 3
    with _db(api).write() as session:  # the lease of the killed worker runs out
        session.execute(update(Job).where(Job.kind == "rule_run").values(locked_until=None, status="pending"))
    run_jobs(api.app, claim_due(_db(api)))
    assert run_due_jobs(api.app) == 0
    assert all(get(api, "lead", x["id"])["fields"]["needs_follow_up"] for x in leads)
    with _db(api).read() as session:
        count = len(session.scalars(select(AuditEvent.seq).where(AuditEvent.kind == "record.updated")).all())
    assert count == 3 + 2  # flag for 3, owner for the 2 not stopped: once each


def test_the_rate_limit_holds_across_a_swept_batch(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {**FOLLOW_UP, "rateLimit": {"runs": 2, "perMinutes": 60}, "actions": FOLLOW_UP["actions"][:1]})
    for n in range(4):
        create(api, "lead", name=f"Lead {n}", status_changed_at="2030-01-01T00:00:00Z")
    with _db(api).write() as session:
        session.execute(update(RuleSchedule).values(due_at=datetime.utcnow()))
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 4
    assert sorted(r["status"] for r in runs(api, "follow_up")) == ["limited", "limited", "pending", "pending"]
    with _db(api).read() as session:
        assert len(session.scalars(select(Job.id).where(Job.kind == "rule_run")).all()) == 2
    run_due_jobs(api.app)
    assert sorted(r["status"] for r in runs(api, "follow_up")) == ["done", "done", "limited", "limited"]
