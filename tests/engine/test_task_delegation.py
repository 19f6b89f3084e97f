"""Delegate and resolve (委托), add signers (加签), urge (催办), CC (抄送) and batch complete, through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import Notification, User
from tests.conftest import Api
from tests.engine.flow import Flow
from tests.engine.test_task_return import kinds, post, setup, submitted


def review(api: Api) -> tuple[Flow, str, dict[str, Any]]:
    flow = setup(api)
    api.user("helper")
    instance = submitted(api, flow)
    return flow, instance, flow.task(instance, "manager_review")


def notified(api: Api, user: str) -> list[str]:
    with api.app.extensions["boms_db"].read() as session:
        uid = session.scalar(select(User.id).where(User.username == user))
        return list(session.scalars(select(Notification.kind).where(Notification.user_id == uid)))


def test_delegate_then_resolve_then_the_owner_completes(api: Api) -> None:
    flow, instance, task = review(api)
    url = f"/api/v1/tasks/{task['id']}"
    response = post(api, "boss", f"{url}/delegate", user="helper", comment="please check the receipts")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == "helper" and body["owner"] == "boss" and body["delegation"] == "delegated"
    assert "task.assigned" in notified(api, "helper")
    flow.complete(task, {"managerDecision": "approve"}, who="helper", expect=409)  # resolve first
    flow.complete(task, {"managerDecision": "approve"}, who="boss", expect=403)  # it is with the delegate
    assert api.get("boss", url).status_code == 200  # the owner still sees it
    delegated = api.open_tasks("boss", view="delegated")
    assert [t["id"] for t in delegated] == [task["id"]]
    assert post(api, "boss", f"{url}/resolve").status_code == 403  # only the delegate resolves
    response = post(api, "helper", f"{url}/resolve", comment="receipts fine")
    assert response.status_code == 200 and response.get_json()["assignee"] == "boss", response.get_json()
    flow.complete(task, {"managerDecision": "approve"}, who="boss")
    assert flow.elements(instance) == ["finance_review"]
    assert {"task.delegated", "task.resolved"} <= set(kinds(api, instance))


def test_signers_before_act_first_and_it_comes_back(api: Api) -> None:
    flow, instance, task = review(api)
    url = f"/api/v1/tasks/{task['id']}"
    api.user("second")
    response = post(api, "boss", f"{url}/add-signers", users=["helper", "second"], mode="before")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["assignee"] == "helper" and response.get_json()["signers"] == ["second"]
    assert post(api, "helper", f"{url}/resolve").get_json()["assignee"] == "second"
    assert post(api, "second", f"{url}/resolve").get_json()["assignee"] == "boss"
    flow.complete(task, {"managerDecision": "approve"}, who="boss")
    assert flow.elements(instance) == ["finance_review"]


def test_signers_after_act_on_the_same_step(api: Api) -> None:
    flow, instance, task = review(api)
    url = f"/api/v1/tasks/{task['id']}"
    response = post(api, "boss", f"{url}/add-signers", users=["helper"], mode="after", comment="your view too")
    assert response.status_code == 200 and response.get_json()["delegation"] == "after", response.get_json()
    flow.complete(task, {"managerDecision": "approve"}, who="boss")
    assert flow.elements(instance) == ["manager_review"]  # still here, now with the signer
    assert flow.task(instance, "manager_review")["assignee"] == "helper"
    flow.complete(task, {"managerDecision": "reject"}, who="helper")
    assert flow.elements(instance) == ["finance_review"]
    assert flow.instance(instance)["variables"]["managerDecision"] == "reject"


def test_bad_signers_are_refused(api: Api) -> None:
    flow, instance, task = review(api)
    url = f"/api/v1/tasks/{task['id']}/add-signers"
    for body, text in (({"users": ["boss"], "mode": "before"}, "yourself"),
                       ({"users": ["ghost"], "mode": "after"}, "does not exist"),
                       ({"users": [], "mode": "after"}, "list of 1"),
                       ({"users": ["helper", "helper"], "mode": "after"}, "twice"),
                       ({"users": ["helper"], "mode": "sideways"}, "before, after or parallel")):
        response = post(api, "boss", url, **body)
        assert response.status_code == 400 and text in str(response.get_json()), (body, response.get_json())
    assert post(api, "other", url, users=["helper"], mode="after").status_code == 403
    assert flow.task(instance, "manager_review")["signers"] == []


def test_urge_reminds_the_assignee_once_an_hour(api: Api) -> None:
    flow, instance, task = review(api)
    url = f"/api/v1/tasks/{task['id']}/urge"
    assert post(api, "other", url).status_code == 403  # not their request
    assert post(api, "clerk", url, comment="please").status_code == 200
    assert "task.urged" in notified(api, "boss")
    response = post(api, "clerk", url)
    assert response.status_code == 409 and "once an hour" in str(response.get_json())
    assert kinds(api, instance).count("task.urged") == 1


def test_cc_gives_a_read_only_view_and_a_tab(api: Api) -> None:
    flow, instance, task = review(api)
    api.user("auditor2", groups=("audit",))
    assert api.get("other", f"/api/v1/process-instances/{instance}").status_code == 403
    response = post(api, "boss", f"/api/v1/tasks/{task['id']}/cc", users=["other"], groups=["audit"])
    assert response.status_code == 200 and response.get_json()["copied"] == ["auditor2", "other"]
    assert api.get("other", f"/api/v1/process-instances/{instance}").status_code == 200
    steps = api.open_tasks("other", view="cc")  # every step of the request, done and open
    assert sorted(t["elementId"] for t in steps) == ["manager_review", "submit"]
    assert [t["id"] for t in api.open_tasks("other", view="cc", status="open")] == [task["id"]]
    flow.complete(task, {"managerDecision": "approve"}, who="other", expect=403)  # read-only
    assert "task.cc" in notified(api, "other")
    for body, text in (({"users": ["ghost"]}, "does not exist"), ({"groups": ["nope"]}, "does not exist"),
                       ({}, "name")):
        response = post(api, "boss", f"/api/v1/tasks/{task['id']}/cc", **body)
        assert response.status_code == 400 and text in str(response.get_json())


def test_batch_complete_checks_each_task(api: Api) -> None:
    flow = setup(api)
    first, second = submitted(api, flow), submitted(api, flow)
    other = api.start("other", "approval_actions")["id"]  # not boss's: its submit step is other's
    ids = [flow.task(first, "manager_review")["id"], flow.task(second, "manager_review")["id"],
           flow.task(other, "submit")["id"]]
    response = post(api, "boss", "/api/v1/tasks/batch-complete", tasks=ids,
                    variables={"managerDecision": "approve"})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["completed"] for r in results] == [True, True, False]
    assert results[2]["status"] in (403, 409)
    assert flow.elements(first) == flow.elements(second) == ["finance_review"]
    assert flow.elements(other) == ["submit"]
    response = post(api, "boss", "/api/v1/tasks/batch-complete", tasks=[], variables={"managerDecision": "approve"})
    assert response.status_code == 400


def test_action_switches_are_read_at_deploy(api: Api, tmp_path: Any) -> None:
    from tests.conftest import FIXTURES

    flow = setup(api)
    text = (FIXTURES / "approvals" / "actions.bpmn").read_text().replace(
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        '      <bpmn:extensionElements>',
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        '      <bpmn:extensionElements>\n        <camunda:properties>\n'
        '          <camunda:property name="allowReturn" value="false"/>\n'
        '          <camunda:property name="allowDelegate" value="false"/>\n        </camunda:properties>')
    (tmp_path / "actions.bpmn").write_text(text)
    api.deploy("modeler", tmp_path / "actions.bpmn")
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    response = post(api, "boss", f"/api/v1/tasks/{task['id']}/return", to="previous", comment="x")
    assert response.status_code == 409 and "does not allow return" in str(response.get_json())
    response = post(api, "boss", f"/api/v1/tasks/{task['id']}/delegate", user="other")
    assert response.status_code == 409 and "does not allow delegate" in str(response.get_json())
    (tmp_path / "actions.bpmn").write_text(text.replace("allowDelegate", "allowDelegation"))
    error = api.deploy("modeler", tmp_path / "actions.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "manager_review" and "allowDelegation" in error["message"]


def test_cc_configured_on_the_task_when_it_is_reached(api: Api, tmp_path: Any) -> None:
    from tests.conftest import FIXTURES

    flow = setup(api)
    api.user("aud", groups=("audit",))
    text = (FIXTURES / "approvals" / "actions.bpmn").read_text().replace(
        '<bpmn:userTask id="finance_review" name="Finance review" camunda:candidateGroups="finance">\n'
        '      <bpmn:extensionElements>',
        '<bpmn:userTask id="finance_review" name="Finance review" camunda:candidateGroups="finance">\n'
        '      <bpmn:extensionElements>\n        <camunda:properties>\n'
        '          <camunda:property name="ccUsers" value="other, clerk"/>\n'
        '          <camunda:property name="ccGroups" value="audit"/>\n        </camunda:properties>')
    (tmp_path / "actions.bpmn").write_text(text)
    api.deploy("modeler", tmp_path / "actions.bpmn")
    instance = submitted(api, flow)
    assert api.open_tasks("other", view="cc") == []
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    for who in ("other", "aud"):
        assert [t["elementId"] for t in api.open_tasks(who, view="cc", status="open")] == ["finance_review"]
    assert "task.cc" in notified(api, "aud") and "task.cc" not in notified(api, "clerk")  # the initiator
