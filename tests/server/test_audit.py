"""The one event publisher (server/audit.py): subscribers in the same transaction, every writer through it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit
from server.audit import Event, publish
from server.auth.permissions import Principal
from server.models import AuditEvent, User
from server.services import people
from server.services.identity import add_user
from tests.conftest import Api


def _count(app: Any) -> int:
    with app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_subscribers_see_the_events_inside_the_writing_transaction(app: Any) -> None:
    seen: list[tuple[str, int | None, bool]] = []

    def subscriber(session: Session, events: list[Event]) -> None:
        for event in events:
            stored = session.scalar(select(AuditEvent).where(AuditEvent.seq == event.seq))
            seen.append((event.kind, event.seq, stored is not None and session.in_transaction()))

    audit.subscribe(app, subscriber)
    with app.extensions["boms_db"].write() as session:
        published = publish(session, [Event("record.created", "alice", subject_type="record", subject_id=7),
                                      Event("record.updated", "alice", subject_type="record", subject_id=7)])
    assert [e.seq for e in published] == [s[1] for s in seen] and all(s[2] for s in seen)
    assert [s[0] for s in seen] == ["record.created", "record.updated"]
    with app.extensions["boms_db"].read() as session:
        row = session.scalar(select(AuditEvent).where(AuditEvent.seq == published[0].seq))
    assert (row.subject_type, row.subject_id, row.hash_version) == ("record", "7", 3)


def test_a_failing_subscriber_rolls_back_the_event_and_the_write(app: Any) -> None:
    def broken(_session: Session, events: list[Event]) -> None:
        if any(e.kind == "user.created" for e in events):
            raise RuntimeError("the outbox is full")

    before = _count(app)
    audit.subscribe(app, broken)
    with pytest.raises(RuntimeError, match="outbox"), app.extensions["boms_db"].write() as session:
        add_user(session, "zoe", "password-zoe")
    assert _count(app) == before
    with app.extensions["boms_db"].read() as session:
        assert session.scalar(select(User).where(User.username == "zoe")) is None


def test_subscribers_belong_to_their_app(app: Any, tmp_path: Any) -> None:
    from server import create_app
    from server.config import Config

    other = create_app(Config.from_env(instance_path=tmp_path / "other", database_url=app.config["BOMS"].database_url,
                                       secret_key="test", testing=True))
    seen: list[str] = []
    audit.subscribe(other, lambda _s, events: seen.extend(e.kind for e in events))
    with app.extensions["boms_db"].write() as session:
        publish(session, Event("record.created", "alice", subject_type="record", subject_id="1"))
    other.extensions["boms_db"].dispose()
    assert seen == []


def test_every_writer_publishes_through_it(api: Api) -> None:
    kinds: list[tuple[str, str | None]] = []
    audit.subscribe(api.app, lambda _s, events: kinds.extend((e.kind, e.subject_type) for e in events))
    api.user("erin", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("erin", "two_tasks")
    [task] = instance["openTasks"]
    assert api.post("erin", f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    assert api.post("erin", f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}).status_code == 200
    admin = Principal(id=1, username="admin", roles=frozenset({"admin"}), groups=frozenset())
    with api.app.extensions["boms_db"].write() as session:
        people.add_group(session, admin, "auditors", "Auditors")
    assert ("user.created", "user") in kinds
    assert ("deployment.created", "deployment") in kinds
    assert ("instance.started", "instance") in kinds
    assert ("task.claimed", "task") in kinds and ("task.completed", "task") in kinds
    assert ("group.created", "group") in kinds
    # Everything the subscriber saw is what the log holds, and nothing else was written around it.
    assert len(kinds) == _count(api.app) - 3  # the fixture's three users came before the subscriber


def test_a_session_without_a_publisher_is_refused(app: Any) -> None:
    from server.db import Database

    database = Database(app.config["BOMS"].database_url)
    with pytest.raises(RuntimeError, match="no audit publisher"), database.write() as session:
        publish(session, Event("record.created", "alice"))
    database.dispose()
