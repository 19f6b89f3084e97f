"""Notifications: who is told what during the purchase request, the bell and page, and email delivery."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select, update

import server.services.notifications as notifications
from server.audit import Event
from server.models import Notification, User
from tests.conftest import purchase_request_team


@pytest.fixture
def purchase(api: Any) -> Any:
    purchase_request_team(api)
    with api.app.extensions["boms_db"].write() as session:  # api.user takes no email
        for name in ("fiona", "mike", "alice"):
            session.execute(update(User).where(User.username == name).values(email=f"{name}@example.com"))
    return api


def start(api: Any, amount: int, who: str = "alice") -> dict[str, Any]:
    return api.start(who, "purchase_request", {"item": "Laptop", "amount": amount, "reason": "old one broke"},
                     businessKey=f"PR-{amount}")


def complete(api: Any, who: str, task_id: str, variables: dict[str, Any]) -> Any:
    response = api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notes(api: Any, who: str) -> list[Notification]:
    with api.app.extensions["boms_db"].read() as session:
        return list(session.scalars(
            select(Notification).join(User, User.id == Notification.user_id)
            .where(User.username == who).order_by(Notification.id)))


def titles(api: Any, who: str) -> list[str]:
    return [n.title for n in notes(api, who)]


# --- who is told what --------------------------------------------------------------------------


def test_a_new_request_tells_the_managers_not_the_requester(purchase: Any) -> None:
    instance = start(purchase, 1200)
    [task] = instance["openTasks"]
    [note] = notes(purchase, "mike")
    assert (note.kind, note.title) == ("task.group", "New task in your group: Manager approval")
    assert note.link == f"/tasks/{task['id']}" and note.task_id == task["id"]
    assert note.instance_id == instance["id"] and note.read_at is None
    assert note.email_status == "none"  # no SMTP configured
    assert "PR-1200" in note.body
    assert notes(purchase, "alice") == [] and notes(purchase, "fiona") == []


def test_a_large_request_reaches_finance_then_tells_the_requester_it_was_approved(purchase: Any) -> None:
    instance = start(purchase, 8000)
    [task] = instance["openTasks"]
    complete(purchase, "mike", task["id"], {"managerDecision": "approve"})
    assert titles(purchase, "fiona") == ["New task in your group: Finance director approval"]
    assert titles(purchase, "alice") == []
    [finance] = purchase.open_tasks("fiona")
    complete(purchase, "fiona", finance["id"], {"financeDecision": "approve"})
    [done] = notes(purchase, "alice")
    assert (done.kind, done.title) == ("request.finished", "Your request PR-8000 was approved")
    assert done.link == f"/instances/{instance['id']}" and done.data["outcome"] == "approved"
    assert titles(purchase, "mike") == ["New task in your group: Manager approval"]


def test_a_rejection_assigns_the_notice_then_says_rejected(purchase: Any) -> None:
    instance = start(purchase, 300)
    [task] = instance["openTasks"]
    complete(purchase, "mike", task["id"], {"managerDecision": "reject", "managerComment": "no budget"})
    [assigned] = notes(purchase, "alice")
    [notice] = purchase.open_tasks("alice", assignee="me")
    assert (assigned.kind, assigned.title) == ("task.assigned", "Task assigned to you: Rejection notice")
    assert assigned.link == f"/tasks/{notice['id']}"
    complete(purchase, "alice", notice["id"], {"acknowledged": True})
    assert titles(purchase, "alice")[-1] == "Your request PR-300 was rejected"
    assert notes(purchase, "alice")[-1].link == f"/instances/{instance['id']}"


def test_the_actor_is_not_told_about_the_group_task_they_caused(purchase: Any) -> None:
    purchase.user("mary", groups=("managers",))
    start(purchase, 500, who="mike")
    assert notes(purchase, "mike") == []
    assert titles(purchase, "mary") == ["New task in your group: Manager approval"]


def test_a_cancelled_request_tells_its_starter(purchase: Any) -> None:
    instance = start(purchase, 700)
    response = purchase.post("admin", f"/api/v1/process-instances/{instance['id']}/cancel", json={"reason": "dup"})
    assert response.status_code == 200, response.get_json()
    [note] = notes(purchase, "alice")
    assert note.title == "Your request PR-700 was cancelled" and "admin" in note.body


def test_group_members_are_found_in_one_query(app: Any, api: Any) -> None:
    for i in range(6):
        api.user(f"clerk{i}", groups=("clerks", "all"))
    api.user("outsider")
    database = app.extensions["boms_db"]
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    events = [Event("task.created", actor="clerk0", instance_id="i-1", task_id="t-1",
                    data={"name": "Check", "assignee": None, "candidateGroups": ["clerks", "all"],
                          "candidateUsers": ["outsider", "nobody"]})]
    with database.write() as session:
        created = notifications.notify(session, events, app.config["BOMS"])
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        names = sorted(session.get(User, n.user_id).username for n in created)
    assert names == ["clerk1", "clerk2", "clerk3", "clerk4", "clerk5", "outsider"]
    assert len(selects) == 3  # the instance (absent here), the named users, the group members


def _member_lookups(app: Any) -> Any:
    statements: list[str] = []
    event.listen(app.extensions["boms_db"].engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]) if "JOIN membership" in args[2] else None)
    return statements


def test_group_members_are_kept_between_steps_and_a_change_here_reaches_the_next_one(purchase: Any) -> None:
    start(purchase, 1200)
    lookups = _member_lookups(purchase.app)
    start(purchase, 1300)
    assert lookups == []  # the managers were looked up by the first step (server/services/recipients.py)
    assert titles(purchase, "mike") == ["New task in your group: Manager approval"] * 2
    purchase.user("mary", groups=("managers",))  # a change in this process: its commit drops what was kept
    start(purchase, 1400)
    assert len(lookups) == 1
    assert titles(purchase, "mary") == ["New task in your group: Manager approval"]


def test_without_the_directory_cache_every_step_looks_members_up(purchase: Any, monkeypatch: Any) -> None:
    app = purchase.app
    monkeypatch.setitem(app.config, "BOMS", dataclasses.replace(app.config["BOMS"], directory_cache_seconds=0))
    start(purchase, 1200)
    with app.extensions["boms_db"].write() as session:  # no event: only a look-up can see it
        session.execute(update(User).where(User.username == "mike").values(active=False))
    lookups = _member_lookups(app)
    start(purchase, 1300)
    assert len(lookups) == 1 and len(titles(purchase, "mike")) == 1


@pytest.mark.parametrize(("ends", "expected"), [
    ({"end_approved": "Request approved"}, "approved"),
    ({"EndEvent_1": "Rejected"}, "rejected"),
    ({"end_x": "Disapproved"}, "rejected"),
    ({"end": None}, "finished"),
    ({"end_approved": None, "end_rejected": None}, "finished"),
])
def test_the_outcome_comes_from_the_end_event_reached(ends: dict[str, str | None], expected: str) -> None:
    version = type("V", (), {"elements": {e: {"kind": "endEvent", "name": n} for e, n in ends.items()}
                             | {"task": {"kind": "userTask", "name": "Approve"}}})()
    instance = type("I", (), {"version": version, "visited_elements": ["task", *ends]})()
    assert notifications.outcome(instance) == expected  # type: ignore[arg-type]


def test_the_page_falls_back_to_the_stored_texts() -> None:
    odd = Notification(kind="task.group", data={}, title="Stored title", body="Stored body")
    assert notifications.text_of(odd) == ("Stored title", "Stored body")
    known = Notification(kind="request.finished", data={"request": "PR-1", "outcome": "rejected"}, title="x", body="")
    assert notifications.text_of(known)[0] == "Your request PR-1 was rejected"


# --- the bell and the page ---------------------------------------------------------------------


def test_the_bell_counts_unread_and_reading_marks_read(purchase: Any, browser: Any) -> None:
    instance = start(purchase, 1200)
    [task] = instance["openTasks"]
    mike = browser("mike")
    inbox = mike.get("/inbox").get_data(as_text=True)
    assert 'data-testid="bell"' in inbox and 'data-testid="unread-count">1<' in inbox
    page = mike.get("/notifications").get_data(as_text=True)
    assert "New task in your group: Manager approval" in page and 'data-unread="true"' in page
    [note] = notes(purchase, "mike")
    response = mike.post(f"/notifications/{note.id}/read", from_page="/notifications")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task['id']}"
    assert notes(purchase, "mike")[0].read_at is not None
    assert 'data-testid="unread-count"' not in mike.get("/inbox").get_data(as_text=True)
    assert 'data-unread="false"' in mike.get("/notifications").get_data(as_text=True)


def test_read_all_and_newest_first(purchase: Any, browser: Any) -> None:
    start(purchase, 1200)
    start(purchase, 1300)
    mike = browser("mike")
    page = mike.get("/notifications").get_data(as_text=True)
    assert page.index("PR-1300") < page.index("PR-1200")
    assert 'data-testid="unread-count">2<' in page
    assert mike.post("/notifications/read-all", from_page="/notifications").status_code == 302
    assert all(n.read_at is not None for n in notes(purchase, "mike"))


def test_nobody_reads_another_users_notification(purchase: Any, browser: Any) -> None:
    start(purchase, 1200)
    [note] = notes(purchase, "mike")
    alice = browser("alice")
    assert alice.post(f"/notifications/{note.id}/read", from_page="/notifications").status_code == 404
    assert alice.post("/notifications/999999/read", from_page="/notifications").status_code == 404
    assert "Manager approval" not in alice.get("/notifications").get_data(as_text=True)
    assert notes(purchase, "mike")[0].read_at is None


def test_the_pages_need_a_login(app: Any) -> None:
    client = app.test_client()
    assert client.get("/notifications").status_code == 302
    assert 'data-testid="bell"' not in client.get("/login").get_data(as_text=True)


# --- email -------------------------------------------------------------------------------------


class Collector:
    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[Any] = []
        self.refuse = refuse

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "554 5.7.1 Refused for the test"
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[Collector, int]]:
    handler = Collector(refuse=getattr(request, "param", False))
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def queued(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record delivery requests instead of reaching a broker: each records the pending rows committed by then."""
    calls: list[int] = []

    def record() -> None:
        with app.extensions["boms_db"].read() as session:  # another session sees only committed rows
            calls.append(len(session.scalars(select(Notification.id)
                                             .where(Notification.email_status == "pending")).all()))

    monkeypatch.setattr(notifications, "enqueue_delivery", record)
    return calls


def use_smtp(app: Any, port: int) -> None:
    app.config["BOMS"] = dataclasses.replace(app.config["BOMS"], smtp_host="127.0.0.1", smtp_port=port,
                                             mail_from="boms@example.com")


def deliver(app: Any, base_url: str | None = None) -> int:
    return notifications.deliver_pending(app.extensions["boms_db"], app.config["BOMS"], base_url=base_url)


def test_emails_are_sent_after_commit(purchase: Any, smtp: tuple[Collector, int], queued: list[int]) -> None:
    handler, port = smtp
    use_smtp(purchase.app, port)
    instance = start(purchase, 1200)
    [task] = instance["openTasks"]
    [note] = notes(purchase, "mike")
    assert note.email_status == "pending" and queued == [1]  # queued once, after the commit
    assert deliver(purchase.app, base_url="https://boms.example/") == 1
    [message] = handler.messages
    assert message.rcpt_tos == ["mike@example.com"] and message.mail_from == "boms@example.com"
    text = message.content.decode()
    assert "Subject: New task in your group: Manager approval" in text
    assert f"https://boms.example/tasks/{task['id']}" in text
    assert notes(purchase, "mike")[0].email_status == "sent"
    assert deliver(purchase.app) == 0 and len(handler.messages) == 1  # never sent twice


def test_the_link_is_a_path_without_a_base_url(purchase: Any, smtp: tuple[Collector, int], queued: list[int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = smtp
    monkeypatch.delenv("BOMS_BASE_URL", raising=False)
    use_smtp(purchase.app, port)
    instance = start(purchase, 300)
    complete(purchase, "mike", instance["openTasks"][0]["id"], {"managerDecision": "reject"})
    assert deliver(purchase.app) == 2  # mike's group task, alice's rejection notice
    [notice] = purchase.open_tasks("alice", assignee="me")
    sent = {m.rcpt_tos[0]: m.content.decode() for m in handler.messages}
    assert "Subject: Task assigned to you: Rejection notice" in sent["alice@example.com"]
    assert f"\n/tasks/{notice['id']}" in sent["alice@example.com"].replace("\r\n", "\n")


def test_users_without_email_get_no_email(purchase: Any, smtp: tuple[Collector, int], queued: list[int]) -> None:
    use_smtp(purchase.app, smtp[1])
    purchase.user("mary", groups=("managers",))
    start(purchase, 1200)
    assert [n.email_status for n in notes(purchase, "mary")] == ["none"]
    assert [n.email_status for n in notes(purchase, "mike")] == ["pending"]


@pytest.mark.parametrize("smtp", [True], indirect=True)
def test_a_refusing_server_marks_failed_and_the_flow_goes_on(purchase: Any, smtp: tuple[Collector, int],
                                                             queued: list[int]) -> None:
    use_smtp(purchase.app, smtp[1])
    instance = start(purchase, 1200)
    assert deliver(purchase.app) == 0
    [note] = notes(purchase, "mike")
    assert note.email_status == "failed" and "554" in (note.email_error or "")
    complete(purchase, "mike", instance["openTasks"][0]["id"], {"managerDecision": "approve"})
    assert titles(purchase, "alice") == ["Your request PR-1200 was approved"]


def test_no_broker_leaves_emails_pending_and_the_request_succeeds(purchase: Any, smtp: tuple[Collector, int],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ConnectionError("no broker")

    monkeypatch.setattr(notifications, "enqueue_delivery", broken)
    use_smtp(purchase.app, smtp[1])
    start(purchase, 1200)
    assert [n.email_status for n in notes(purchase, "mike")] == ["pending"]
    assert deliver(purchase.app) == 1  # the next delivery picks them up


def test_nothing_is_queued_when_the_action_fails(purchase: Any, smtp: tuple[Collector, int],
                                                 queued: list[int]) -> None:
    use_smtp(purchase.app, smtp[1])
    events = [Event("task.created", actor="x", instance_id="i", task_id="t",
                    data={"name": "T", "assignee": "mike"})]
    with pytest.raises(RuntimeError), purchase.app.extensions["boms_db"].write() as session:
        assert len(notifications.notify(session, events, purchase.app.config["BOMS"])) == 1
        raise RuntimeError("the action fails after the listener ran")
    assert queued == [] and notes(purchase, "mike") == []
