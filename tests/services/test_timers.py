"""Timers: intermediate, boundary (interrupting and not, cycles), start events; the job table holds them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from server.models import Job
from tests.conftest import FIXTURES, run_due_jobs


def _jobs(app: Any, **where: Any) -> list[Job]:
    with app.extensions["boms_db"].read() as session:
        query = select(Job)
        for name, value in where.items():
            query = query.where(getattr(Job, name) == value)
        return list(session.scalars(query.order_by(Job.id)))


def _team(api: Any) -> None:
    api.user("erin", groups=("employees",))
    api.user("mike", groups=("managers",))


def test_intermediate_timer_from_an_expression_fires_once_when_due(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_catch.bpmn")
    instance = api.start("erin", "timer_catch", {"delay": "PT1S"})
    assert instance["activeElements"] == ["wait"] and instance["openTasks"] == []
    [job] = _jobs(api.app, instance_id=instance["id"])
    assert job.kind == "timer" and job.status == "pending" and job.element_id == "wait"
    assert run_due_jobs(api.app) == 0  # not due yet
    time.sleep(1.1)
    assert run_due_jobs(api.app) == 1
    after = api.get("erin", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert [t["elementId"] for t in after["openTasks"]] == ["after"]
    [job] = _jobs(api.app, instance_id=instance["id"])
    assert job.status == "done" and job.attempts == 1
    assert run_due_jobs(api.app) == 0  # never twice
    kinds = [e["kind"] for e in api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history")
             .get_json()["items"]]
    assert kinds.count("task.created") == 1


def test_a_timer_already_due_fires_in_the_same_step(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_catch.bpmn")
    instance = api.start("erin", "timer_catch", {"delay": "PT0S"})
    assert [t["elementId"] for t in instance["openTasks"]] == ["after"]


def test_a_bad_timer_value_at_run_time_is_an_incident_naming_the_element(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_catch.bpmn")
    instance = api.start("erin", "timer_catch", {"delay": "tomorrow-ish"})
    assert instance["status"] == "error"
    assert instance["error"]["element"] == "wait" and "wait" in instance["error"]["message"]
    fixed = api.app.test_client().patch(f"/api/v1/process-instances/{instance['id']}/variables",
                                        json={"variables": {"delay": "PT0S"}}, headers=api.headers("admin"))
    assert fixed.status_code == 200, fixed.get_json()
    retried = api.post("admin", f"/api/v1/process-instances/{instance['id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    after = api.get("erin", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert after["status"] == "running" and [t["elementId"] for t in after["openTasks"]] == ["after"]


def test_boundary_timers_non_interrupting_cycle_then_interrupting_deadline(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/boundary_timers.bpmn")
    instance = api.start("erin", "boundary_timers")
    assert len(_jobs(api.app, instance_id=instance["id"], status="pending")) == 2
    time.sleep(1.1)
    run_due_jobs(api.app)
    names = sorted(t["elementId"] for t in api.open_tasks("erin", instanceId=instance["id"]))
    assert names == ["reminder", "review"]  # the reminder did not interrupt the review
    time.sleep(1.0)
    run_due_jobs(api.app)
    time.sleep(2.2)
    run_due_jobs(api.app)
    detail = api.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()
    open_elements = sorted(t["elementId"] for t in detail["openTasks"])
    # Reminders already handed out stay: only the review was interrupted.
    assert open_elements == ["escalated", "reminder", "reminder"]
    kinds = [e["elementId"] for e in api.get("auditor", f"/api/v1/process-instances/{instance['id']}/history")
             .get_json()["items"] if e["kind"] == "task.created"]
    assert kinds.count("reminder") == 2  # R2/PT1S: two reminders before the deadline, no more
    assert _jobs(api.app, instance_id=instance["id"], status="pending") == []


def test_suspended_instance_fires_no_timer_until_resumed(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_catch.bpmn")
    instance = api.start("erin", "timer_catch", {"delay": "PT1S"})
    assert api.post("admin", f"/api/v1/process-instances/{instance['id']}/suspend").status_code == 200
    time.sleep(1.1)
    assert run_due_jobs(api.app) == 0
    assert api.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()["openTasks"] == []
    assert api.post("admin", f"/api/v1/process-instances/{instance['id']}/resume").status_code == 200
    assert run_due_jobs(api.app) == 1
    after = api.get("admin", f"/api/v1/process-instances/{instance['id']}").get_json()
    assert after["status"] == "running" and [t["elementId"] for t in after["openTasks"]] == ["after"]


def test_timer_start_event_cycle_starts_instances_and_stops_after_its_repetitions(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_start.bpmn")
    [job] = _jobs(api.app, kind="timer_start")
    assert job.status == "pending"
    time.sleep(1.1)
    run_due_jobs(api.app)
    time.sleep(1.1)
    run_due_jobs(api.app)
    listing = api.get("admin", "/api/v1/process-instances", query_string={"key": "timer_start"}).get_json()
    assert listing["total"] == 2
    assert [(i["startedBy"], i["activeElements"]) for i in listing["items"]] == [("system:timer", ["check"])] * 2
    assert _jobs(api.app, kind="timer_start", status="pending") == []


def test_jobs_due_while_the_server_was_down_fire_once_when_it_returns(api: Any) -> None:
    _team(api)
    api.deploy("modeler", "events/timer_catch.bpmn")
    instances = [api.start("erin", "timer_catch", {"delay": "PT1S"}) for _ in range(3)]
    time.sleep(1.2)  # nobody polls meanwhile
    assert run_due_jobs(api.app) == 3
    assert run_due_jobs(api.app) == 0
    for instance in instances:
        tasks = api.get("erin", f"/api/v1/process-instances/{instance['id']}").get_json()["openTasks"]
        assert [t["elementId"] for t in tasks] == ["after"]


def test_a_timer_that_is_not_iso_8601_is_refused_at_deploy(api: Any, tmp_path: Any) -> None:
    bad = tmp_path / "bad_timer.bpmn"
    bad.write_text((FIXTURES / "events" / "boundary_timers.bpmn").read_text().replace("PT4S", "four seconds"))
    response = api.deploy("modeler", bad, expect=422)
    error = response.get_json()["error"]
    assert error["element"] == "deadline" and "ISO 8601" in error["message"] and error["line"]


def test_cron_timer_start_event_is_scheduled_on_the_next_matching_moment_and_rescheduled(api: Any) -> None:
    from datetime import datetime

    from sqlalchemy import update

    _team(api)
    api.deploy("modeler", "events/weekday_start.bpmn")
    [job] = _jobs(api.app, kind="timer_start")
    assert job.due_at.hour == 9 and job.due_at.minute == 0 and job.due_at.weekday() < 5
    assert job.due_at > datetime.utcnow()
    # Pretend the server was down over a past firing: it fires once, then continues from now.
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(Job).where(Job.id == job.id).values(due_at=datetime(2026, 11, 20, 9, 0)))
    assert run_due_jobs(api.app) == 1
    listing = api.get("admin", "/api/v1/process-instances", query_string={"key": "weekday_start"}).get_json()
    assert [i["activeElements"] for i in listing["items"]] == [["standup"]]
    [following] = _jobs(api.app, kind="timer_start", status="pending")
    assert following.due_at > datetime.utcnow() and following.due_at.weekday() < 5
    assert (following.due_at.hour, following.due_at.minute) == (9, 0)


def test_cron_cycle_is_refused_outside_start_events(api: Any, tmp_path: Any) -> None:
    bad = tmp_path / "cron_boundary.bpmn"
    bad.write_text((FIXTURES / "events" / "boundary_timers.bpmn").read_text().replace("R2/PT1S", "0 0 9 * * ?"))
    error = api.deploy("modeler", bad, expect=422).get_json()["error"]
    assert error["element"] == "remind" and "start event" in error["message"]
