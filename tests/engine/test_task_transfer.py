"""Transfer (转交) through the API: the new assignee may act, the old one may not; audited with the comment;
bad targets and tasks that forbid it are 4xx with nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import AuditEvent, User
from tests.conftest import Api
from tests.engine.flow import Flow


def _setup(api: Api) -> Flow:
    for name in ("ceo", "other", "gone"):
        api.user(name)
    api.user("lead", manager="ceo")
    api.user("clerk2", manager="lead")
    with api.app.extensions["boms_db"].write() as session:
        session.scalar(select(User).where(User.username == "gone")).active = False
    api.deploy("modeler", "approvals/manager.bpmn")
    return Flow(api)


def _transfer(api: Api, who: str, task_id: str, **body: Any) -> Any:
    return api.post(who, f"/api/v1/tasks/{task_id}/transfer", json=body)


def test_transfer_hands_the_task_over_and_is_audited(api: Api) -> None:
    flow = _setup(api)
    instance = api.start("clerk2", "approval_manager")["id"]
    task = flow.task(instance, "manager_review")
    assert task["assignee"] == "lead"
    response = _transfer(api, "lead", task["id"], user="other", comment="I am on leave")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["assignee"] == "other"
    flow.complete(task, who="lead", expect=403)  # no longer lead's
    with api.app.extensions["boms_db"].read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.kind == "task.transferred")).all()
        assert event.actor == "lead" and "I am on leave" in str(event.data) and "other" in str(event.data)
    flow.complete(task, who="other")
    assert flow.task(instance, "skip_review")["assignee"] == "ceo"


def test_bad_transfers_are_refused_and_change_nothing(api: Api) -> None:
    flow = _setup(api)
    instance = api.start("clerk2", "approval_manager")["id"]
    task = flow.task(instance, "manager_review")
    for body, status, text in (({"user": "ghost"}, 400, "does not exist"), ({"user": "gone"}, 400, "inactive"),
                               ({"user": "lead"}, 400, "yourself"), ({}, 400, "needs the user"),
                               ({"user": "other", "comment": 5}, 400, "comment")):
        response = _transfer(api, "lead", task["id"], **body)
        assert response.status_code == status and text in str(response.get_json()), response.get_json()
    response = _transfer(api, "other", task["id"], user="other")
    assert response.status_code == 403  # someone else's task
    assert flow.task(instance, "manager_review")["assignee"] == "lead"


def test_a_task_can_forbid_transfer(api: Api, tmp_path: Any) -> None:
    from tests.conftest import FIXTURES

    flow = _setup(api)
    text = (FIXTURES / "approvals" / "manager.bpmn").read_text().replace(
        '<camunda:property name="fallbackGroup" value="hr" />',
        '<camunda:property name="fallbackGroup" value="hr" />\n'
        '          <camunda:property name="allowTransfer" value="false" />')
    (tmp_path / "manager.bpmn").write_text(text)
    api.deploy("modeler", tmp_path / "manager.bpmn")
    instance = api.start("clerk2", "approval_manager")["id"]
    flow.complete(flow.task(instance, "manager_review"), who="lead")
    task = flow.task(instance, "skip_review")
    response = _transfer(api, "ceo", task["id"], user="other")
    assert response.status_code == 409 and "does not allow transfer" in str(response.get_json())
    (tmp_path / "manager.bpmn").write_text(text.replace('value="false"', 'value="maybe"'))
    error = api.deploy("modeler", tmp_path / "manager.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "skip_review" and "allowTransfer" in error["message"]
