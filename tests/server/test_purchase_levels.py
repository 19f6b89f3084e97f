"""The demo purchase request from 20,000: level by level up the reporting line (逐级审批), the finance group
copied when it is approved, a reminder after 3 days and the manager's manager after 5 (through the job table)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from server.models import Job, User
from tests.conftest import Api, purchase_request_team, run_due_jobs
from tests.engine.flow import Flow
from tests.engine.test_task_deadlines import fall_due
from tests.engine.test_task_return import kinds


def team(api: Api) -> Flow:
    purchase_request_team(api)
    api.user("fred", groups=("finance",))
    api.user("sam", groups=("employees",), manager="alice")
    with api.app.extensions["boms_db"].write() as session:  # as the demo sets them (server/demo.py)
        for name, limit in (("mike", 50_000), ("fiona", 1_000_000)):
            session.execute(update(User).where(User.username == name).values(approval_limit=Decimal(limit)))
    return Flow(api)


def request(api: Api, amount: int, who: str = "alice") -> str:
    return api.start(who, "purchase_request", {"item": "Server", "amount": amount, "reason": "the old one died"},
                     businessKey=f"PR-{amount}")["id"]


def copied(api: Api, who: str, instance: str) -> bool:
    return instance in {t["instanceId"] for t in api.open_tasks(who, view="cc", status="")}


def test_within_the_managers_limit_one_level_approves_and_finance_is_copied(api: Api) -> None:
    flow = team(api)
    instance = request(api, 30_000)
    assert flow.instance(instance)["variables"]["route"] == "levels"
    task = flow.task(instance, "level_approval")
    assert task["assignee"] == "mike" and task["dueAt"] is not None
    assert not copied(api, "fred", instance)
    flow.complete(task, {"managerDecision": "approve"}, who="mike")
    body = flow.instance(instance)
    assert body["status"] == "completed" and "end_approved" in body["visitedElements"], body
    assert copied(api, "fred", instance) and copied(api, "fiona", instance)
    assert kinds(api, instance).count("task.cc") == 1


def test_above_the_managers_limit_it_goes_up_to_the_finance_director(api: Api) -> None:
    flow = team(api)
    instance = request(api, 80_000)
    flow.complete(flow.task(instance, "level_approval"), {"managerDecision": "approve"}, who="mike")
    assert not copied(api, "fred", instance)  # mike's approval does not cover it
    top = flow.task(instance, "level_approval")
    assert top["assignee"] == "fiona"
    flow.complete(top, {"managerDecision": "approve"}, who="fiona")
    assert flow.instance(instance)["status"] == "completed" and copied(api, "fred", instance)
    # Three levels: sam -> alice -> mike (limit 50,000 < 80,000) -> fiona; alice has no limit.
    deep = request(api, 80_000, who="sam")
    assert flow.task(deep, "level_approval")["assignee"] == "alice"


def test_a_rejection_at_any_level_ends_it_without_a_copy(api: Api) -> None:
    flow = team(api)
    instance = request(api, 80_000)
    flow.complete(flow.task(instance, "level_approval"), {"managerDecision": "approve"}, who="mike")
    flow.complete(flow.task(instance, "level_approval"), {"managerDecision": "reject", "managerComment": "no"},
                  who="fiona")
    assert flow.elements(instance) == ["rejection_notice"]
    assert flow.task(instance, "rejection_notice")["assignee"] == "alice"
    assert not copied(api, "fred", instance) and "task.cc" not in kinds(api, instance)


def test_a_reminder_after_three_days_then_the_managers_manager_after_five(api: Api) -> None:
    flow = team(api)
    instance = request(api, 30_000)
    with api.app.extensions["boms_db"].read() as session:
        jobs = {j.payload["action"]: j.payload for j in session.scalars(
            select(Job).where(Job.instance_id == instance, Job.kind == "task_deadline"))}
    assert jobs["remind"]["every"] == 3 * 86400 and set(jobs) == {"remind", "escalate"}
    fall_due(api, "remind")
    run_due_jobs(api.app)
    assert kinds(api, instance).count("task.urged") == 1
    fall_due(api, "escalate")
    run_due_jobs(api.app)
    task = flow.task(instance, "level_approval")
    assert task["assignee"] == "fiona"  # mike's manager
    history = api.get("alice", f"/api/v1/process-instances/{instance}/history").get_json()["items"]
    escalated = next(e for e in history if e["kind"] == "task.escalated")
    assert escalated["data"]["assignee"] == "fiona" and escalated["actor"].startswith("system"), escalated
    flow.complete(task, {"managerDecision": "approve"}, who="fiona")
    assert flow.instance(instance)["status"] == "completed"
