"""The checks that used to sit only in routes are the services' own: a caller that skips the route (an
admin view, an export, a future page) is refused the same way, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth.permissions import Principal
from server.errors import Forbidden
from server.models import Deployment, User
from server.queries import PageRequest
from server.services import audit_log, people
from server.services.deployments import UploadedFile, deploy_by
from server.services.overview import attention_counts
from tests.conftest import FIXTURES

STAFF = Principal(90, "sam", frozenset({"staff"}), frozenset())
AUDITOR = Principal(91, "audrey", frozenset({"auditor"}), frozenset())
MODELER = Principal(92, "mo", frozenset({"modeler"}), frozenset())


def _file() -> list[UploadedFile]:
    path = FIXTURES / "camunda" / "two_user_tasks.bpmn"
    return [UploadedFile(path.name, path.read_bytes())]


def test_only_deployers_deploy(app: Any) -> None:
    db = app.extensions["boms_db"]
    for who in (STAFF, AUDITOR):
        with pytest.raises(Forbidden), db.write() as session:
            deploy_by(session, who, _file(), False)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Deployment)) == 0
    with db.write() as session:
        summary = deploy_by(session, MODELER, _file(), False)
    assert summary["changed"]
    with db.read() as session:
        assert session.scalars(select(Deployment.deployed_by)).all() == ["mo"]


def test_only_auditors_and_admins_read_verify_and_export_the_log(app: Any) -> None:
    db = app.extensions["boms_db"]
    with db.read() as session:
        for who in (STAFF, MODELER):
            with pytest.raises(Forbidden):
                audit_log.list_events(session, who, audit_log.AuditFilter(), PageRequest())
            with pytest.raises(Forbidden):
                audit_log.every_event(session, who, audit_log.AuditFilter())
            with pytest.raises(Forbidden):
                audit_log.verify_chain(session, who)
        assert audit_log.verify_chain(session, AUDITOR).ok
        assert list(audit_log.every_event(session, AUDITOR, audit_log.AuditFilter())) is not None


def test_only_admins_manage_people(app: Any) -> None:
    db = app.extensions["boms_db"]
    with pytest.raises(Forbidden), db.write() as session:
        people.create_user(session, MODELER, username="zed", password="long-enough", roles=["staff"], groups="",
                           manager="", display_name="")
    admin = Principal(93, "root", frozenset({"admin"}), frozenset())
    with db.write() as session:
        user = people.create_user(session, admin, username=" zed ", password="long-enough", roles=["staff"],
                                  groups="a, b", manager="", display_name=" Zed ")
        user_id = user.id
    with db.read() as session:
        zed = session.get(User, user_id)
        assert (zed.username, zed.display_name, zed.group_names) == ("zed", "Zed", ["a", "b"])
    with pytest.raises(Forbidden), db.write() as session:
        people.issue_token(session, STAFF, user_id, "mine")


def test_the_overview_is_for_the_admin_ui_roles(app: Any) -> None:
    with app.extensions["boms_db"].read() as session:
        with pytest.raises(Forbidden):
            attention_counts(session, STAFF)
        assert attention_counts(session, AUDITOR)["running"] == 0
