"""Notifications: written by an audit subscriber inside the action's transaction, emailed after commit.

The listener only adds rows. Email never happens inside the transaction: a slow or broken mail server
must not hold the instance lock or fail the user's request. After a successful commit the listener
asks the worker (Celery task `boms.notifications.deliver`) to run `deliver_pending`; failed sends are
retried by `sweep_notifications`, which the job poller runs periodically (notification_email.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.audit import Event, Subscriber, subscribe
from server.config import Config
from server.db import utcnow
from server.events import EmailStatus, EventKind
from server.models import Notification, ProcessInstance
from server.plugins import plugins_of
from server.services.recipients import note_changes, recipients

logger = logging.getLogger(__name__)

DELIVER_TASK = "boms.notifications.deliver"
_HOOKED = "boms_notifications_after_commit"

# The texts, keyed by kind (and outcome); marked for extraction, formatted with the row's `data`.
TITLES: dict[str, Any] = {
    "task.assigned": _l("Task assigned to you: %(name)s"),
    "task.group": _l("New task in your group: %(name)s"),
    "approved": _l("Your request %(request)s was approved"),
    "rejected": _l("Your request %(request)s was rejected"),
    "finished": _l("Your request %(request)s was finished"),
    "cancelled": _l("Your request %(request)s was cancelled"),
    "task.urged": _l("Reminder: %(name)s is waiting for you"),
    "task.cc": _l("You were copied on %(request)s"),
}
BODIES: dict[str, Any] = {
    "task.assigned": _l("%(request)s: “%(name)s” is waiting for you."),
    "task.group": _l("%(request)s: “%(name)s” is waiting for someone in your group to take it."),
    "ended": _l("It has ended; its history shows every step and decision."),
    "cancelled": _l("It was cancelled by %(actor)s."),
    "task.urged": _l("%(actor)s asks you to act on %(request)s: “%(name)s”."),
    "task.cc": _l("%(actor)s copied you on %(request)s at “%(name)s”; you can read it."),
}
# Approval actions that hand a task to someone (issue 14): they hear of it as of a newly assigned task.
HANDED_OVER = (EventKind.TASK_TRANSFERRED, EventKind.TASK_DELEGATED, EventKind.TASK_RESOLVED,
               EventKind.TASK_SIGNER_ADDED, EventKind.TASK_RETURNED, EventKind.TASK_ESCALATED)


def render(kind: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """Title and body in the current locale, or None when `data` lacks what the texts need."""
    key = data.get("outcome", kind) if kind == "request.finished" else kind
    body_key = kind if kind != "request.finished" else ("cancelled" if key == "cancelled" else "ended")
    try:
        return str(TITLES[key]) % data, str(BODIES[body_key]) % data
    except (KeyError, TypeError, ValueError):
        return None


def text_of(notification: Notification) -> tuple[str, str]:
    """What the reader sees: re-rendered in their language, else the stored texts."""
    return render(notification.kind, notification.data or {}) or (notification.title, notification.body)


# --- the listener ------------------------------------------------------------------------------


@dataclass
class Draft:
    kind: str
    data: dict[str, Any]
    link: str
    instance_id: str | None
    task_id: str | None
    users: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    exclude: str | None = None


def outcome(instance: ProcessInstance) -> str:
    """approved / rejected / finished, from the end events the instance reached (their id or name)."""
    elements = instance.version.elements
    found: set[str] = set()
    for element in instance.visited_elements:
        info = elements.get(element) or {}
        if info.get("kind") != "endEvent":
            continue
        text = f"{element} {info.get('name') or ''}".lower()
        # "disapproved" contains "approve": test the negative words first.
        if "reject" in text or "disapprov" in text:
            found.add("rejected")
        elif "approv" in text:
            found.add("approved")
        else:
            found.add("finished")
    # Two different outcomes (say, a sub-process's end event) is no clear answer.
    return found.pop() if len(found) == 1 else "finished"


def _instance(session: Session, instance_id: str) -> ProcessInstance | None:
    # A just-started instance is not flushed yet (the runner disables autoflush): look among new objects.
    for obj in session.new:
        if isinstance(obj, ProcessInstance) and obj.id == instance_id:
            return obj
    return session.get(ProcessInstance, instance_id)


def _labels(instance: ProcessInstance | None) -> dict[str, str]:
    if instance is None:
        return {"process": "", "request": ""}
    process = (instance.version.name if instance.version is not None else None) or instance.process_key
    return {"process": process, "request": instance.business_key or process}


def drafts_for(session: Session, events: Iterable[Event]) -> list[Draft]:
    drafts: list[Draft] = []
    for pending in events:
        if not pending.instance_id:
            continue
        data = pending.data
        if pending.kind == EventKind.TASK_CREATED:
            labels = _labels(_instance(session, pending.instance_id))
            base = {**labels, "name": data.get("name") or pending.element_id or ""}
            link = f"/tasks/{pending.task_id}"
            if data.get("assignee"):
                drafts.append(Draft("task.assigned", base, link, pending.instance_id, pending.task_id,
                                    users={data["assignee"]}))
            elif data.get("candidateGroups") or data.get("candidateUsers"):
                drafts.append(Draft("task.group", base, link, pending.instance_id, pending.task_id,
                                    users=set(data.get("candidateUsers") or []),
                                    groups=set(data.get("candidateGroups") or []), exclude=pending.actor))
        elif pending.kind in HANDED_OVER or pending.kind in (EventKind.TASK_URGED, EventKind.TASK_CC):
            drafts.extend(_action_drafts(session, pending))
        elif pending.kind in (EventKind.INSTANCE_COMPLETED, EventKind.INSTANCE_CANCELLED):
            instance = _instance(session, pending.instance_id)
            if instance is None or not instance.started_by:
                continue
            result = outcome(instance) if pending.kind == EventKind.INSTANCE_COMPLETED else "cancelled"
            payload = {**_labels(instance), "outcome": result, "actor": pending.actor}
            drafts.append(Draft("request.finished", payload, f"/instances/{instance.id}", instance.id, None,
                                users={instance.started_by}))
    return drafts


def _action_drafts(session: Session, pending: Event) -> list[Draft]:
    data = pending.data
    base = {**_labels(_instance(session, pending.instance_id)), "actor": pending.actor,
            "name": data.get("name") or pending.element_id or ""}
    link = f"/tasks/{pending.task_id}"
    if pending.kind == EventKind.TASK_URGED:
        return [Draft("task.urged", base, link, pending.instance_id, pending.task_id, users=set(data.get("to") or []),
                      groups=set(data.get("groups") or []), exclude=pending.actor)]
    if pending.kind == EventKind.TASK_CC:
        return [Draft("task.cc", base, f"/instances/{pending.instance_id}", pending.instance_id, pending.task_id,
                      users=set(data.get("users") or []))]
    assignee = data.get("assignee")
    if not assignee or assignee == pending.actor:
        return []
    return [Draft("task.assigned", base, link, pending.instance_id, pending.task_id, users={assignee})]


def notify(session: Session, events: list[Event], config: Config, locale: str = "en") -> list[Notification]:
    """Add the notifications `events` call for; returns them (not yet flushed)."""
    drafts = drafts_for(session, events)
    if not drafts:
        return []
    names = set().union(*(d.users for d in drafts))
    groups = set().union(*(d.groups for d in drafts))
    users, members = recipients(session, names, groups, config.directory_cache_seconds)
    created: list[Notification] = []
    # Stored texts are in the server's language: the email goes out later, far from any request.
    with force_locale(locale):
        for draft in drafts:
            title, body = render(draft.kind, draft.data) or ("", "")
            names = set(draft.users).union(*(members.get(g, set()) for g in draft.groups))
            names.discard(draft.exclude or "")
            for name in sorted(names):
                if name not in users:
                    continue  # an unknown or deactivated user: nobody to tell
                uid, email = users[name]
                status = EmailStatus.PENDING if config.smtp_host and email else EmailStatus.NONE
                row = Notification(user_id=uid, kind=draft.kind, title=title[:500], body=body,
                                   data=draft.data, link=draft.link, instance_id=draft.instance_id,
                                   task_id=draft.task_id, created_at=utcnow(), email_status=status)
                session.add(row)
                created.append(row)
    if any(row.email_status == EmailStatus.PENDING for row in created):
        _deliver_after_commit(session)
    return created


def notification_listener(app: Flask) -> Subscriber:
    """The audit subscriber (create_app registers it); reads the app's config per call."""

    def listener(session: Session, events: list[Event]) -> None:
        note_changes(session, events)
        notify(session, events, app.config["BOMS"], app.config.get("BABEL_DEFAULT_LOCALE", "en"))

    return listener


def _deliver_after_commit(session: Session) -> None:
    # Once per session until it fires: an action may call the listener several times. After a rollback
    # the hook stays; the next commit then queues a delivery that finds nothing, which is harmless.
    if session.info.get(_HOOKED):
        return
    session.info[_HOOKED] = True
    event.listen(session, "after_commit", _after_commit, once=True)


def _after_commit(session: Session) -> None:
    session.info.pop(_HOOKED, None)
    try:
        enqueue_delivery()
    except Exception:  # a missing broker must never fail a request that has already committed
        logger.warning("could not queue notification email delivery; emails stay pending", exc_info=True)


def enqueue_delivery() -> None:
    """Queue the delivery task through the current app's Celery app (web requests and Celery tasks run
    in an app context; elsewhere this fails, is logged, and the poller's sweep sends the emails)."""
    # Few quick retries: this runs while the user waits; the rows stay pending for the next delivery.
    plugins_of(current_app).send_task(DELIVER_TASK, retry=True,
                                      retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                                                    "interval_max": 0.5})


def init_app(app: Flask) -> None:
    """Notifications plug in: written by an audit subscriber, emailed by a Celery task, retried by a sweep."""
    subscribe(app, notification_listener(app))
    plugins = plugins_of(app)
    plugins.add_task(DELIVER_TASK, lambda flask_app: deliver_pending(flask_app.extensions["boms_db"],
                                                                     flask_app.config["BOMS"]))
    plugins.add_sweep(sweep_notifications)


# --- email delivery (worker side): server/services/notification_email.py -----------------------

from server.services.notification_email import deliver_pending, sweep_notifications  # noqa: E402

__all__ = ["deliver_pending", "enqueue_delivery", "init_app", "notify", "notification_listener", "sweep_notifications",
           "text_of"]
