"""Email retries: a failed send is tried again later with backoff, then given up as 'failed' with the error;
``sweep_notifications`` (run by the job poller) sends whatever has come due. Against a real local SMTP server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from server.db import utcnow
from server.models import Notification, User
from server.services import notification_email as email
from server.services.notifications import deliver_pending, sweep_notifications
from tests.conftest import purchase_request_team
from tests.inbox.test_notifications import free_port, notes, start, use_smtp


class Mailbox:
    """An SMTP server whose answer the test sets: accept, a temporary 451, or a permanent 550."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.answer = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.answer.startswith("250"):
            self.messages.append(envelope)
        return self.answer


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def purchase(api: Any) -> Any:
    purchase_request_team(api)
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(User).where(User.username == "mike").values(email="mike@example.com"))
    return api


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    import server.services.notifications as notifications

    monkeypatch.setattr(notifications, "enqueue_delivery", lambda: None)


def deliver(api: Any, now: Any = None) -> int:
    return deliver_pending(api.app.extensions["boms_db"], api.app.config["BOMS"], now=now)


def make_due(api: Any) -> None:
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(Notification).where(Notification.email_next_at.is_not(None))
                        .values(email_next_at=utcnow() - timedelta(seconds=1)))


def test_the_delay_doubles_up_to_an_hour() -> None:
    assert [email.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert email.retry_delay(30) == timedelta(hours=1)


def test_an_unreachable_server_is_retried_with_backoff_then_given_up(purchase: Any, no_broker: None) -> None:
    use_smtp(purchase.app, free_port())  # nothing listens there
    start(purchase, 1200)
    now = utcnow()
    assert deliver(purchase, now) == 0
    [note] = notes(purchase, "mike")
    assert (note.email_status, note.email_attempts) == ("pending", 1) and "Refused" in (note.email_error or "")
    assert note.email_next_at == now + timedelta(minutes=1)

    assert deliver(purchase, now + timedelta(seconds=59)) == 0  # not due yet: not tried
    assert notes(purchase, "mike")[0].email_attempts == 1

    for attempt in range(2, email.MAX_ATTEMPTS + 1):
        now = notes(purchase, "mike")[0].email_next_at
        assert now is not None
        deliver(purchase, now)
        note = notes(purchase, "mike")[0]
        assert note.email_attempts == attempt
    assert (note.email_status, note.email_next_at) == ("failed", None) and "Refused" in (note.email_error or "")
    deliver(purchase, utcnow() + timedelta(days=1))
    assert notes(purchase, "mike")[0].email_attempts == email.MAX_ATTEMPTS  # given up for good


def test_a_temporary_refusal_is_sent_by_the_next_sweep(purchase: Any, mailbox: tuple[Mailbox, int],
                                                       no_broker: None) -> None:
    handler, port = mailbox
    use_smtp(purchase.app, port)
    handler.answer = "451 4.3.0 Try again later"
    start(purchase, 1200)
    assert deliver(purchase) == 0
    [note] = notes(purchase, "mike")
    assert note.email_status == "pending" and "451" in (note.email_error or "")

    handler.answer = "250 OK"
    database, config = purchase.app.extensions["boms_db"], purchase.app.config["BOMS"]
    assert sweep_notifications(database, config) == 0 and not handler.messages  # waits for its time
    make_due(purchase)
    assert sweep_notifications(database, config) == 1
    [message] = handler.messages
    assert message.rcpt_tos == ["mike@example.com"]
    note = notes(purchase, "mike")[0]
    assert (note.email_status, note.email_attempts, note.email_next_at) == ("sent", 2, None)
    assert sweep_notifications(database, config) == 0 and len(handler.messages) == 1  # never twice


def test_a_permanent_refusal_is_not_retried(purchase: Any, mailbox: tuple[Mailbox, int], no_broker: None) -> None:
    handler, port = mailbox
    use_smtp(purchase.app, port)
    handler.answer = "550 5.1.1 No such user"
    start(purchase, 1200)
    assert deliver(purchase) == 0
    [note] = notes(purchase, "mike")
    assert (note.email_status, note.email_attempts) == ("failed", 1) and "550" in (note.email_error or "")


def test_the_sweep_sends_what_was_never_queued(purchase: Any, mailbox: tuple[Mailbox, int],
                                               no_broker: None) -> None:
    handler, port = mailbox
    start(purchase, 1200)  # no SMTP configured yet: no email wanted
    use_smtp(purchase.app, port)
    start(purchase, 300)  # pending, but its delivery was never queued (no broker)
    database = purchase.app.extensions["boms_db"]
    assert sweep_notifications(database, purchase.app.config["BOMS"]) == 1
    assert [n.email_status for n in notes(purchase, "mike")] == ["none", "sent"]


def test_without_smtp_the_sweep_leaves_rows_pending(purchase: Any, no_broker: None, mailbox: Any) -> None:
    use_smtp(purchase.app, mailbox[1])
    start(purchase, 1200)
    purchase.app.config["BOMS"] = dataclasses.replace(purchase.app.config["BOMS"], smtp_host=None)
    assert sweep_notifications(purchase.app.extensions["boms_db"], purchase.app.config["BOMS"]) == 0
    assert [n.email_status for n in notes(purchase, "mike")] == ["pending"]
