"""The brief's three scenarios, with the demo rules from rules/ deployed as files, end to end."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from server.models import Job, Notification, ProcessInstance, RuleSchedule, User
from server.rules.sweep import sweep_schedules
from tests.inbox.test_notifications import Collector, free_port
from tests.rules.conftest import DEMO, create, get, run, run_due_jobs, runs
from tests.rules.conftest import update as update_record


class FakeSms:
    """A local SMS provider: answers `fail` 503s first, then accepts, recording what it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = 0


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSms]:
    fake = FakeSms()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if fake.fail:
                fake.fail -= 1
                self.send_response(503)
                self.end_headers()
                return
            fake.sent.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": "sms-1"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BOMS_SMS_URL", f"http://127.0.0.1:{server.server_port}/send")
    yield fake
    server.shutdown()


@pytest.fixture
def demo(rules_api: Any) -> Any:
    files = sorted(str(p) for p in Path(DEMO).glob("*.rule.json"))
    rules_api.deploy("modeler", *files)
    return rules_api


def _db(api: Any) -> Any:
    return api.app.extensions["boms_db"]


def _notified(api: Any, user: str) -> list[str]:
    with _db(api).read() as session:
        return list(session.scalars(select(Notification.title).join(User, User.id == Notification.user_id)
                                    .where(User.username == user, Notification.kind == "rule")))


def test_stock_below_safety_starts_a_purchase_once_per_crossing(demo: Any) -> None:
    api = demo
    item = create(api, "material", name="Oak board", stock=40, safety_stock=25)
    item = update_record(api, "material", item, stock=20)
    item = update_record(api, "material", item, stock=12)  # still below: the rule does not fire again
    run_due_jobs(api.app)
    [r] = runs(api, "stock_below_safety")
    detail = run(api, r["id"])
    assert detail["status"] == "done", (detail["error"], detail["steps"])
    with _db(api).read() as session:
        [instance] = session.scalars(select(ProcessInstance)).all()
        assert instance.started_by == "rule:stock_below_safety"
        assert instance.business_key == f"material-{item['id']}"
        assert instance.variables["item"] == "Oak board" and instance.variables["amount"] == 30
    assert _notified(api, "paul") == ["Stock low: Oak board"]


def test_lead_gone_quiet_flags_it_and_tells_the_owner(demo: Any) -> None:
    api = demo
    lead = create(api, "lead", name="ACME Hotels", owner="sam", status="new")
    run_due_jobs(api.app)  # the stamp rule sets status_changed_at, which schedules the quiet rule
    stamped = get(api, "lead", lead["id"])["fields"]["status_changed_at"]
    assert stamped is not None
    with _db(api).read() as session:
        due = session.scalar(select(RuleSchedule.due_at).where(RuleSchedule.rule_key == "lead_quiet"))
    assert timedelta(days=14, hours=23) < due - datetime.utcnow() < timedelta(days=15, minutes=1)
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 0  # not due yet
    with _db(api).write() as session:  # 15 days later (while BOMS was down, even)
        session.execute(update(RuleSchedule).values(due_at=datetime.utcnow() - timedelta(minutes=1)))
    assert sweep_schedules(_db(api), api.app.config["BOMS"]) == 1
    run_due_jobs(api.app)
    assert get(api, "lead", lead["id"])["fields"]["needs_follow_up"] is True
    assert _notified(api, "sam") == ["Lead gone quiet: ACME Hotels"]
    [r] = runs(api, "lead_quiet")
    assert r["status"] == "done" and r["trigger"] == "date"


def test_order_shipped_texts_and_emails_the_customer(demo: Any, sms: FakeSms) -> None:
    api = demo
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        api.app.config["BOMS"] = dataclasses.replace(api.app.config["BOMS"], smtp_host="127.0.0.1",
                                                     smtp_port=controller.port, mail_from="shop@example.com")
        order = create(api, "order", number="SO-1001", customer="Li Lei", phone="+8613800000000",
                       email="li@example.com")
        order = update_record(api, "order", order, tracking_number="SF123456789")  # not shipped yet: nothing
        sms.fail = 1  # the provider is down once: the call is retried with backoff
        update_record(api, "order", order, status="shipped")
        run_due_jobs(api.app)
        assert sms.sent == []
        with _db(api).write() as session:  # the backoff delay passes
            session.execute(update(Job).where(Job.kind == "rule_call", Job.status == "pending")
                            .values(due_at=datetime.utcnow()))
        run_due_jobs(api.app)
        [r] = runs(api, "order_shipped")
        detail = run(api, r["id"])
        assert detail["status"] == "done", detail
        assert sms.sent == [{"to": "+8613800000000", "text": "Order SO-1001 shipped. Tracking: SF123456789",
                             "id": f"rule-run:{r['id']}/sms"}]
        [mail] = collector.messages
        assert mail.rcpt_tos == ["li@example.com"] and b"SF123456789" in mail.content
    finally:
        controller.stop()


def test_sms_provider_refusing_fails_the_run_naming_the_action(demo: Any, sms: FakeSms) -> None:
    api = demo
    order = create(api, "order", number="SO-2", customer="Han Meimei", phone="+86139", email="han@example.com",
                   tracking_number="SF1")
    sms.fail = 99
    update_record(api, "order", order, status="shipped")
    for _ in range(3):
        run_due_jobs(api.app)
        with _db(api).write() as session:
            session.execute(update(Job).where(Job.kind == "rule_call", Job.status == "pending")
                            .values(due_at=datetime.utcnow()))
    [r] = runs(api, "order_shipped")
    detail = run(api, r["id"])
    assert detail["status"] == "failed" and detail["failedAction"] == "sms"
    assert "503" in detail["error"] and "after 3 attempts" in detail["error"]
    assert detail["steps"][-1]["input"]["to"] == "+86139"
