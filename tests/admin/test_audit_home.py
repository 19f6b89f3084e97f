"""Audit log (filters, verify, CSV and JSON export), the home page counts, and the shared engine."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from server.audit import row_hash
from server.db import utcnow
from server.models import AuditEvent, HumanTask
from tests.admin.conftest import start_purchase
from tests.conftest import Api


def seqs(html: str) -> list[int]:
    table = html[html.index('data-testid="audit-events"'):]
    return [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", table)]


def test_filters_by_instance_actor_kind_and_time(team: Api, web: Any) -> None:
    first, second = start_purchase(team, key="PR-1"), start_purchase(team, key="PR-2")
    browser = web("auditor")  # signing in is itself logged (auth.login): before the snapshot
    everything = team.get("admin", "/api/v1/audit", query_string={"pageSize": 500}).get_json()["items"]
    html = browser.get("/admin/audit/").get_data(as_text=True)
    assert seqs(html) == sorted((e["seq"] for e in everything), reverse=True)
    mine = [e["seq"] for e in everything if e.get("instanceId") == first]
    assert sorted(seqs(browser.get("/admin/audit/", query_string={"instance": first}).get_data(as_text=True))) == mine
    by_modeler = [e["seq"] for e in everything if e["actor"] == "modeler"]
    assert sorted(seqs(browser.get("/admin/audit/?actor=modeler").get_data(as_text=True))) == by_modeler
    started = [e["seq"] for e in everything if e["kind"] == "instance.started"]
    assert sorted(seqs(browser.get("/admin/audit/?kind=instance.started").get_data(as_text=True))) == started
    tasks = [e["seq"] for e in everything if e["kind"].startswith("task.")]
    assert sorted(seqs(browser.get("/admin/audit/?kind=task.").get_data(as_text=True))) == tasks
    today = utcnow().date()
    same_day = browser.get(f"/admin/audit/?since={today}&until={today}").get_data(as_text=True)
    assert len(seqs(same_day)) == len(everything)
    assert seqs(browser.get(f"/admin/audit/?until={today - timedelta(days=1)}").get_data(as_text=True)) == []
    response = browser.get("/admin/audit/?since=yesterday")
    assert response.status_code == 200 and "since must be a date" in response.get_data(as_text=True)
    assert second in html


def test_export_csv_and_json_of_the_filtered_events(team: Api, web: Any) -> None:
    first = start_purchase(team, key="PR-1")
    start_purchase(team, key="PR-2")
    expected = [e for e in team.get("admin", "/api/v1/audit", query_string={"pageSize": 500}).get_json()["items"]
                if e.get("instanceId") == first]
    browser = web("auditor")
    response = browser.get("/admin/audit/export.csv", query_string={"instance": first})
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in expected]
    key = team.app.extensions["boms_audit"].key
    for row in rows:  # the export carries what is needed to recompute each hash (with the audit key)
        event = AuditEvent(seq=int(row["seq"]), at=datetime.fromisoformat(row["at"]), actor=row["actor"],
                           kind=row["kind"], instance_id=row["instance_id"] or None, task_id=row["task_id"] or None,
                           element_id=row["element_id"] or None, data=row["data"], prev_hash=row["prev_hash"],
                           subject_type=row["subject_type"] or None, subject_id=row["subject_id"] or None,
                           chain=int(row["chain"]), chain_seq=int(row["chain_seq"]),
                           hash_version=int(row["hash_version"]))
        assert row_hash(event, key) == row["hash"]
    body = json.loads(browser.get("/admin/audit/export.json", query_string={"instance": first}).get_data(as_text=True))
    assert body["filters"] == {"instance": first}
    assert [e["seq"] for e in body["events"]] == [e["seq"] for e in expected]
    first_event = body["events"][0]
    assert first_event["kind"] == "instance.started" and first_event["data"]["variables"]["item"] == "Laptop"


def test_verify_chain_ok_then_broken(team: Api, web: Any) -> None:
    start_purchase(team)
    html = web("auditor").get("/admin/audit/verify").get_data(as_text=True)
    assert "The audit chain is intact" in html
    database = team.app.extensions["boms_db"]
    with database.engine.begin() as conn:  # an attacker with database access, triggers dropped
        if database.is_sqlite:
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_event SET actor = 'nobody' WHERE seq = 2"))
    html = web("auditor").get("/admin/audit/verify").get_data(as_text=True)
    assert "The audit chain is broken" in html and "edited" in html


def test_home_counts_link_to_their_lists(team: Api, web: Any) -> None:
    running, suspended = start_purchase(team, key="PR-1"), start_purchase(team, key="PR-2")
    team.post("admin", f"/api/v1/process-instances/{suspended}/suspend")
    task_id = team.open_tasks("admin", instanceId=running)[0]["id"]
    with team.app.extensions["boms_db"].write() as session:
        session.get(HumanTask, task_id).due_at = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
    html = web("admin").get("/admin/").get_data(as_text=True)

    def count(key: str) -> int:
        return int(re.search(rf'data-testid="count-{key}".*?display-4[^>]*>(\d+)<', html, re.S).group(1))  # type: ignore[union-attr]

    assert (count("running"), count("error"), count("suspended")) == (1, 0, 1)
    assert (count("open_tasks"), count("overdue_tasks"), count("deployments_week")) == (2, 1, 1)
    assert 'href="/admin/instances/?status=suspended"' in html and 'href="/admin/tasks/?overdue=1"' in html
    modeler = web("modeler").get("/admin/").get_data(as_text=True)
    assert "count-deployments_week" in modeler and "count-running" not in modeler


def test_model_views_share_the_app_engine(team: Api) -> None:
    database = team.app.extensions["boms_db"]
    with team.app.app_context():
        db = team.app.extensions["sqlalchemy"]
        assert db.engine is database.engine
        assert db.session.execute(select(HumanTask.id)).all() == []
