"""The process heatmap: counts per element and flow from instances run through the real engine, durations
from known timestamps, date and variable filters, permissions and refusals (both databases)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from server.models import ElementPassage, ProcessInstance, ProcessVersion
from tests.conftest import run_due_jobs
from tests.engine.flow import Flow

URL = "/api/v1/process-definitions/heatmap_demo/heatmap"


def run(flow: Flow, amount: int, rounds: int = 1, finish: bool = True) -> str:
    """One instance: review, approve when amount >= 5000, pay and file in parallel; `rounds` times round the loop."""
    instance = flow.start("heatmap_demo", {"amount": amount, "redo": rounds > 1})["id"]
    for left in range(rounds, 0, -1):
        flow.finish(instance, "review", {"redo": left > 1})
        if amount >= 5000:
            flow.finish(instance, "approve")
        flow.finish(instance, "pay")
        if not finish and left == 1:
            return instance  # waits in `file`
        flow.finish(instance, "file")
    return instance


def figures(api: Any, who: str = "admin", expect: int = 200, **params: Any) -> dict[str, Any]:
    response = api.get(who, URL, query_string=params)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.fixture
def flow(api: Any) -> Flow:
    api.user("staff")
    flow = Flow(api)
    flow.deploy("heatmap_demo.bpmn")
    return flow


def test_counts_per_element_and_flow_follow_what_the_engine_ran(api: Any, flow: Flow) -> None:
    run(flow, 6000)              # big: through approve
    run(flow, 100, rounds=2)     # small, twice round the loop
    waiting = run(flow, 7000, finish=False)  # big, still in `file`
    body = figures(api)
    counts = {e: (v["count"], v["waiting"]) for e, v in body["elements"].items()}
    assert counts == {
        "start": (3, 0), "review": (4, 0), "size": (4, 0), "approve": (2, 0), "merge": (4, 0), "fork": (4, 0),
        "pay": (4, 0), "file": (3, 1), "again": (3, 0), "end": (2, 0),
        "join": (3, 1),  # the waiting instance's `pay` token waits at the join for `file`
    }
    assert body["flows"] == {
        "f_start": 3, "f_review": 4, "f_big": 2, "f_small": 2, "f_approved": 2, "f_merged": 4, "f_pay": 4,
        "f_file": 4, "f_paid": 4, "f_filed": 3, "f_joined": 3, "f_again": 1, "f_done": 2,
    }
    assert body["elements"]["join"]["cancelled"] == 0  # the absorbed branch of a join is merged, not cancelled
    # Each wait is listed, the longest first: `file` since the fork, the join since `pay` was done.
    assert [(w["instanceId"], w["elementId"]) for w in body["longestWaiting"]] == [(waiting, "file"),
                                                                                   (waiting, "join")]
    assert body["longestWaiting"][0]["name"] == "File"
    assert body["unrecordedInstances"] == 0 and body["allInstances"] is True


def test_a_cancelled_instance_counts_its_waiting_task_as_cancelled_not_waiting(api: Any, flow: Flow) -> None:
    instance = flow.start("heatmap_demo", {"amount": 1})["id"]
    assert api.post("admin", f"/api/v1/process-instances/{instance}/cancel", json={}).status_code in (200, 204)
    review = figures(api)["elements"]["review"]
    assert (review["count"], review["cancelled"], review["waiting"]) == (0, 1, 0)


def _passages(app: Any, rows: list[tuple[str, str, datetime, datetime | None]], instance: str) -> None:
    with app.extensions["boms_db"].write() as session:
        version = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "heatmap_demo"))
        session.execute(insert(ElementPassage), [
            {"instance_id": instance, "version_id": version, "element_id": element, "element_type": "userTask",
             "flow_id": None, "task_id": task, "entered_at": entered, "left_at": left,
             "outcome": "completed" if left else None, "seconds": (left - entered).total_seconds() if left else None}
            for element, task, entered, left in rows])


def test_durations_average_p90_and_bottlenecks_from_known_times(app: Any, api: Any, flow: Flow) -> None:
    instance = run(flow, 1)
    t0 = datetime(2026, 3, 1, 8, 0)
    # Ten `approve` passages of 1..10 hours: average 5.5 h, p90 (continuous) 9.1 h.
    _passages(app, [("approve", f"t{i}", t0, t0 + timedelta(hours=i)) for i in range(1, 11)], instance)
    body = figures(api, **{"from": "2026-03-01", "to": "2026-03-01"})
    approve = body["elements"]["approve"]
    assert approve["count"] == 10
    assert approve["avgSeconds"] == pytest.approx(5.5 * 3600)
    assert approve["p90Seconds"] == pytest.approx(9.1 * 3600)
    assert approve["maxSeconds"] == pytest.approx(10 * 3600)
    assert body["bottlenecks"][0]["elementId"] == "approve"
    assert body["elements"]["review"]["count"] == 0  # the engine's passages were today, outside the range
    assert figures(api, metric="count")["elements"]["approve"].get("avgSeconds", "absent") == "absent"


def test_date_range_keeps_passages_that_began_in_it(app: Any, api: Any, flow: Flow) -> None:
    instance = run(flow, 1)
    _passages(app, [("approve", "a", datetime(2026, 1, 31, 23, 0), datetime(2026, 2, 1, 1, 0)),
                    ("approve", "b", datetime(2026, 2, 10), datetime(2026, 2, 11)),
                    ("approve", "c", datetime(2026, 3, 1), datetime(2026, 3, 2))], instance)
    assert figures(api, **{"from": "2026-02-01", "to": "2026-02-28"})["elements"]["approve"]["count"] == 1
    assert figures(api, **{"from": "2026-01-31T22:00:00Z", "to": "2026-03-01T00:00:00Z"})[
        "elements"]["approve"]["count"] == 2
    assert figures(api)["elements"]["approve"]["count"] == 3


def test_variable_filter_chooses_the_instances(api: Any, flow: Flow) -> None:
    run(flow, 6000)
    run(flow, 9000)
    run(flow, 100)
    assert figures(api, filter="amount >= 5000")["elements"]["review"]["count"] == 2
    assert figures(api, filter="amount < 5000")["elements"]["approve"]["count"] == 0
    assert figures(api, filter="amount < 5000 && redo == false")["elements"]["review"]["count"] == 1


def test_waiting_durations_and_the_longest_waiting_first(app: Any, api: Any, flow: Flow) -> None:
    older = run(flow, 1, finish=False)
    newer = run(flow, 1, finish=False)
    with app.extensions["boms_db"].write() as session:  # `older` has waited in `file` for two days
        session.execute(update(ElementPassage).where(ElementPassage.instance_id == older,
                                                     ElementPassage.element_id == "file")
                        .values(entered_at=datetime.utcnow() - timedelta(days=2)))
    body = figures(api)
    waits = [(w["instanceId"], w["elementId"]) for w in body["longestWaiting"]]
    assert waits[0] == (older, "file") and waits.index((older, "join")) < waits.index((newer, "file"))
    assert body["longestWaiting"][0]["waitingSeconds"] == pytest.approx(2 * 86400, abs=120)
    assert body["elements"]["file"]["waiting"] == 2
    assert body["elements"]["file"]["waitingMaxSeconds"] == pytest.approx(2 * 86400, abs=120)


def test_instances_from_before_the_table_are_counted_not_faked(app: Any, api: Any, flow: Flow) -> None:
    old = run(flow, 1)
    with app.extensions["boms_db"].write() as session:  # as if it ran before passages were recorded
        session.execute(ElementPassage.__table__.delete())
        session.execute(update(ProcessInstance).where(ProcessInstance.id == old)
                        .values(started_at=datetime(2020, 1, 1)))
    assert figures(api)["unrecordedInstances"] == 1
    run(flow, 1)
    body = figures(api)
    assert body["unrecordedInstances"] == 1 and body["elements"]["review"]["count"] == 1


def test_staff_see_their_own_instances_only_and_other_roles_are_refused(api: Any, flow: Flow) -> None:
    run(flow, 1)  # started by `staff`
    api.user("other")
    api.user("robot", roles=("worker",))
    assert figures(api, "staff")["elements"]["review"]["count"] == 1
    mine = figures(api, "other")
    assert mine["elements"]["review"]["count"] == 0 and mine["allInstances"] is False
    figures(api, "robot", expect=403)
    figures(api, expect=404, version=99)
    assert api.get("admin", "/api/v1/process-definitions/nothing/heatmap").status_code == 404


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"filter": "amount * 2 > 5"}, "filter", "amount * 2 > 5"),
    ({"filter": "amount >= "}, "filter", "not a valid expression"),
    ({"filter": "customer.tier == 'a'"}, "filter", "customer"),
    ({"filter": "amount > 5 || amount == 'x'"}, "filter", "both"),
    ({"from": "yesterday"}, "from", "from"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from", "before"),
    ({"metric": "speed"}, "metric", "count, duration"),
    ({"colour": "red"}, "colour", "colour"),
    ({"version": "2147483648"}, "version", "2147483647"),  # past the column's integer: was a 500 on PostgreSQL
])
def test_bad_arguments_are_400_naming_them(api: Any, flow: Flow, params: dict[str, str], field: str,
                                           words: str) -> None:
    body = figures(api, expect=400, **params)
    assert body["error"]["field"] == field, body
    assert words in body["error"]["message"], body


def test_elements_inside_an_embedded_sub_process_are_passages_of_the_version(api: Any, flow: Flow) -> None:
    flow.deploy("subprocess_errors.bpmn")
    flow.start("sub_errors")
    rejected = flow.start("sub_errors")["id"]
    response = api.get("admin", "/api/v1/process-definitions/sub_errors/heatmap")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    elements = {e: (v["count"], v["waiting"]) for e, v in body["elements"].items() if v["count"] or v["waiting"]}
    # The boundary events listen on the sub-process: not passages until one fires.
    assert elements == {"start": (2, 0), "review_sub": (0, 2), "sub_start": (2, 0), "review": (0, 2)}
    assert body["flows"]["f_sub_start"] == 2
    flow.finish(rejected, "review", {"outcome": "rejected"})
    after = api.get("admin", "/api/v1/process-definitions/sub_errors/heatmap").get_json()["elements"]
    assert (after["catch_rejected"]["count"], after["catch_any_error"]["count"], after["catch_note"]["count"]) \
        == (1, 0, 0)
    assert after["end_rejected_error"]["count"] == 1 and after["review"]["count"] == 1


def test_an_instance_waiting_after_an_event_based_gateway_waits_at_the_gateway(api: Any, flow: Flow) -> None:
    """As in Camunda 7 Cockpit: the token waits in the gateway (its catch events are subscriptions of the
    gateway); a catch event is a passage only when it fires, and the gateway's time is the wait for it."""
    flow.deploy("heatmap_events.bpmn")
    instance = flow.start("heatmap_events", {"late": "PT1S"})["id"]
    flow.finish(instance, "send")

    def seen() -> tuple[dict[str, tuple[int, int]], list[str]]:
        body = api.get("admin", "/api/v1/process-definitions/heatmap_events/heatmap").get_json()
        counts = {e: (v["count"], v["waiting"]) for e, v in body["elements"].items() if v["count"] or v["waiting"]}
        return counts, [w["elementId"] for w in body["longestWaiting"]]

    assert seen() == ({"start": (1, 0), "send": (1, 0), "which": (0, 1)}, ["which"])
    time.sleep(1.1)
    assert run_due_jobs(api.app) == 1  # the timer branch wins, a reminder, then back to the gateway
    flow.finish(instance, "remind")
    counts, waiting = seen()
    assert (counts["which"], counts["late"], waiting) == ((1, 1), (1, 0), ["which"])
    assert "paid" not in counts  # listening, not a passage
    paid = api.post("admin", "/api/v1/messages", json={"name": "invoice_paid", "processInstanceId": instance})
    assert paid.status_code == 200, paid.get_json()
    counts, waiting = seen()
    assert (counts["which"], counts["paid"], counts["late"], counts["end"], waiting) == (
        (2, 0), (1, 0), (1, 0), (1, 0), [])
    body = api.get("admin", "/api/v1/process-definitions/heatmap_events/heatmap").get_json()
    assert body["flows"]["f_paid"] == 1 and body["flows"]["f_late"] == 1 and body["flows"]["f_again"] == 1
    assert body["elements"]["which"]["maxSeconds"] >= 1.0  # the wait for the timer is the gateway's time
