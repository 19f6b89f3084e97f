"""Reminders, escalation and timeout actions of approval steps, through the job table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from server.db import utcnow
from server.models import Job
from tests.conftest import FIXTURES, Api, run_due_jobs
from tests.engine.flow import Flow
from tests.engine.test_task_return import kinds, setup, submitted


def deploy(api: Api, tmp_path: Any, props: str, expect: int = 201) -> Any:
    text = (FIXTURES / "approvals" / "actions.bpmn").read_text().replace(
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        '      <bpmn:extensionElements>',
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        f'      <bpmn:extensionElements>\n        <camunda:properties>{props}</camunda:properties>')
    (tmp_path / "actions.bpmn").write_text(text)
    return api.deploy("modeler", tmp_path / "actions.bpmn", expect=expect)


def prop(name: str, value: str) -> str:
    return f'<camunda:property name="{name}" value="{value}"/>'


def fall_due(api: Api, action: str) -> None:
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(Job).where(Job.kind == "task_deadline", Job.payload["action"].as_string() == action,
                                          Job.status == "pending").values(due_at=utcnow() - timedelta(seconds=1)))


def test_remind_then_escalate_to_the_managers_manager(api: Api, tmp_path: Any) -> None:
    flow: Flow = setup(api)
    api.user("ceo")
    api.user("boss2", manager="ceo")
    api.user("clerk2", manager="boss2")
    deploy(api, tmp_path, prop("remindEvery", "P3D") + prop("escalateAfter", "P5D"))
    instance = api.start("clerk2", "approval_actions")["id"]
    flow.complete(flow.task(instance, "submit"), {"amount": 5}, who="clerk2")
    task = flow.task(instance, "manager_review")
    assert task["assignee"] == "boss2" and task["dueAt"] is not None  # the escalation is its due time
    run_due_jobs(api.app)
    assert "task.urged" not in kinds(api, instance)  # nothing is due yet
    fall_due(api, "remind")
    run_due_jobs(api.app)
    assert kinds(api, instance).count("task.urged") == 1
    with api.app.extensions["boms_db"].read() as session:  # the next reminder is waiting
        assert session.scalar(select(Job).where(Job.kind == "task_deadline", Job.status == "pending",
                                                Job.payload["action"].as_string() == "remind")) is not None
    fall_due(api, "escalate")
    run_due_jobs(api.app)
    assert flow.task(instance, "manager_review")["assignee"] == "ceo"
    assert "task.escalated" in kinds(api, instance)


def test_timeout_approves_and_a_finished_task_ignores_its_jobs(api: Api, tmp_path: Any) -> None:
    flow = setup(api)
    deploy(api, tmp_path, prop("timeoutAfter", "PT2H") + prop("timeoutAction", "approve"))
    instance = submitted(api, flow)
    fall_due(api, "timeout")
    run_due_jobs(api.app)
    assert flow.elements(instance) == ["finance_review"]
    assert flow.instance(instance)["variables"]["managerDecision"] == "approve"
    other = submitted(api, flow)
    flow.complete(flow.task(other, "manager_review"), {"managerDecision": "reject"}, who="boss")
    fall_due(api, "timeout")
    run_due_jobs(api.app)
    assert flow.instance(other)["variables"]["managerDecision"] == "reject"


def test_bad_deadlines_are_refused_at_deploy(api: Api, tmp_path: Any) -> None:
    setup(api)
    for props, text in ((prop("remindEvery", "3 days"), "ISO 8601"), (prop("escalateAfter", "PT1S"), "one minute"),
                        (prop("timeoutAfter", "P1D"), "together"),
                        (prop("timeoutAfter", "P1D") + prop("timeoutAction", "maybe"), "not an option")):
        error = deploy(api, tmp_path, props, expect=422).get_json()["error"]
        assert error["element"] == "manager_review" and text in error["message"], error


def test_the_demo_purchase_request_reminds_its_managers_daily(api: Api) -> None:
    from tests.conftest import purchase_request_team

    purchase_request_team(api)
    instance = api.start("alice", "purchase_request", {"item": "Chair", "amount": 300, "reason": "broken"})["id"]
    with api.app.extensions["boms_db"].read() as session:
        [job] = session.scalars(select(Job).where(Job.instance_id == instance, Job.kind == "task_deadline")).all()
        assert job.element_id == "manager_approval" and job.payload == {"action": "remind", "every": 86400}


def test_timeout_returns_the_step_to_the_previous_one(api: Api, tmp_path: Any) -> None:
    flow: Flow = setup(api)
    deploy(api, tmp_path, prop("timeoutAfter", "P2D") + prop("timeoutAction", "return"))
    instance = submitted(api, flow)
    fall_due(api, "timeout")
    run_due_jobs(api.app)
    assert flow.elements(instance) == ["submit"]
    assert flow.task(instance, "submit")["assignee"] == "clerk"
    history = api.get("clerk", f"/api/v1/process-instances/{instance}/history").get_json()["items"]
    returned = next(e for e in history if e["kind"] == "task.returned")
    assert returned["actor"] == "system:timeout" and returned["data"]["to"] == "submit"


def test_timeout_of_a_countersigned_step_ends_the_parts_beside_it(api: Api, tmp_path: Any) -> None:
    flow: Flow = setup(api)
    api.user("helper")
    deploy(api, tmp_path, prop("timeoutAfter", "P2D") + prop("timeoutAction", "approve"))
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    response = api.post("boss", f"/api/v1/tasks/{task['id']}/add-signers",
                        json={"users": ["helper"], "mode": "parallel"})
    assert response.status_code == 200, response.get_json()
    fall_due(api, "timeout")
    run_due_jobs(api.app)
    assert flow.elements(instance) == ["finance_review"]  # the part beside it is not left open
    assert flow.instance(instance)["variables"]["managerDecision"] == "approve"
