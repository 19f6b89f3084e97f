"""Emailing notifications (worker side): at most once per attempt, retried with backoff, then given up.

A row waits in ``pending`` until ``email_next_at`` (None: at once). Each delivery claims a batch, marking
it ``sent`` before talking to the mail server, so two workers never send the same row; a failure puts it
back to ``pending`` with the next attempt ``RETRY_BASE * 2**(attempts-1)`` later (capped), or ``failed``
with the error once ``MAX_ATTEMPTS`` are used up or the failure is permanent (a 5xx answer, no address).
``sweep_notifications`` is what the job poller calls periodically: it sends whatever has come due.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import or_, select, update

from server.config import Config
from server.db import Database, utcnow
from server.events import EmailStatus
from server.models import Notification, User

SMTP_TIMEOUT = 15  # seconds; a mail server that hangs must not hold a worker forever
BATCH = 100
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
NO_ADDRESS = "the user has no email address"


@dataclass
class Outgoing:
    id: int
    email: str | None
    title: str
    body: str
    link: str | None
    attempts: int  # including this one


@dataclass
class Failure:
    error: str
    permanent: bool


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 ... minutes, at most an hour."""
    return min(RETRY_BASE * (2 ** max(0, attempts - 1)), RETRY_MAX)


def _claim(database: Database, now: datetime) -> list[Outgoing]:
    """Take a batch of due emails, marking them sent (and counting the attempt) before sending.

    Two workers never take the same row (PostgreSQL skips locked rows; SQLite has one writer), and no
    lock is held while talking to the mail server. The price: a worker that dies mid-batch leaves rows
    marked sent that were not.
    """
    with database.write() as session:
        rows = session.execute(
            select(Notification.id, User.email, Notification.title, Notification.body, Notification.link,
                   Notification.email_attempts)
            .join(User, User.id == Notification.user_id)
            .where(Notification.email_status == EmailStatus.PENDING,
                   or_(Notification.email_next_at.is_(None), Notification.email_next_at <= now))
            .order_by(Notification.id).limit(BATCH)
            .with_for_update(of=Notification, skip_locked=True)
        ).all()
        batch = [Outgoing(id_, email, title, body, link, (attempts or 0) + 1)
                 for id_, email, title, body, link, attempts in rows]
        if batch:
            session.execute(update(Notification).where(Notification.id.in_([o.id for o in batch]))
                            .values(email_status=EmailStatus.SENT, email_next_at=None,
                                    email_attempts=Notification.email_attempts + 1))
    return batch


def _message(config: Config, item: Outgoing, base_url: str | None) -> EmailMessage:
    link = item.link or ""
    if link and base_url:
        link = base_url.rstrip("/") + link
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = item.email or ""
    message["Subject"] = item.title
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.mail_from.rpartition("@")[2] or None)
    message.set_content("\n\n".join(part for part in (item.body, link) if part) + "\n")
    return message


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _refused(exc: smtplib.SMTPException) -> Failure:
    # A 5xx answer will be the same next time; a 4xx one (mailbox busy, greylisting) may not.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return Failure(_describe(exc), bool(codes) and all(code >= 500 for code in codes))
    code = getattr(exc, "smtp_code", 0)
    return Failure(_describe(exc), isinstance(code, int) and code >= 500)


def _send(config: Config, batch: list[Outgoing], base_url: str | None) -> dict[int, Failure]:
    """Send a batch over one connection; returns the failures by notification id."""
    failures: dict[int, Failure] = {}
    smtp: smtplib.SMTP | None = None
    try:
        for position, item in enumerate(batch):
            if not item.email:
                failures[item.id] = Failure(NO_ADDRESS, permanent=True)
                continue
            if smtp is None:
                try:
                    smtp = smtplib.SMTP(config.smtp_host or "", config.smtp_port, timeout=SMTP_TIMEOUT)
                except (smtplib.SMTPException, OSError) as exc:
                    # The server is unreachable: the rest of the batch would wait out the same timeout.
                    failures.update({o.id: Failure(_describe(exc), False) for o in batch[position:]})
                    break
            try:
                smtp.send_message(_message(config, item, base_url))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                failures[item.id] = _refused(exc)  # refused this message; the connection still works
            except (smtplib.SMTPException, OSError) as exc:
                failures[item.id] = Failure(_describe(exc), False)
                smtp.close()
                smtp = None  # reconnect for the next message
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return failures


def _record_failures(database: Database, batch: list[Outgoing], failures: dict[int, Failure],
                     now: datetime) -> None:
    attempts = {item.id: item.attempts for item in batch}
    with database.write() as session:
        for notification_id, failure in failures.items():
            count = attempts[notification_id]
            if failure.permanent or count >= MAX_ATTEMPTS:
                values = {"email_status": EmailStatus.FAILED, "email_error": failure.error, "email_next_at": None}
            else:
                values = {"email_status": EmailStatus.PENDING, "email_error": failure.error,
                          "email_next_at": now + retry_delay(count)}
            session.execute(update(Notification).where(Notification.id == notification_id).values(**values))


def deliver_pending(database: Database, config: Config, base_url: str | None = None,
                    now: datetime | None = None) -> int:
    """Email every notification that is due; returns how many were sent. Safe to run concurrently."""
    if not config.smtp_host:
        return 0  # leave them pending until mail is configured
    base_url = base_url or getattr(config, "base_url", None) or os.environ.get("BOMS_BASE_URL") or None
    now = now or utcnow()
    sent = 0
    while batch := _claim(database, now):
        failures = _send(config, batch, base_url)
        if failures:
            _record_failures(database, batch, failures, now)
        sent += len(batch) - len(failures)
        if len(batch) < BATCH:
            break
    return sent


def sweep_notifications(database: Database, config: Config) -> int:
    """For the job poller: send the emails whose (first or next) attempt is due; returns how many were sent.

    This also picks up rows whose delivery was never queued (no broker at the time of the commit)."""
    return deliver_pending(database, config)
