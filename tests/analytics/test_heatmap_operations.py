"""Element passages across what an operation does to an instance's tokens: an admin's move (modification),
a migration to another version, a cancel while a token waits at a join (both databases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.models import ElementPassage
from tests.analytics.test_heatmap import figures
from tests.conftest import FIXTURES
from tests.engine.flow import Flow


@pytest.fixture
def flow(api: Any) -> Flow:
    api.user("staff")
    flow = Flow(api)
    flow.deploy("heatmap_demo.bpmn")
    return flow


def _rows(app: Any, instance: str, element: str) -> list[tuple[str | None, bool]]:
    with app.extensions["boms_db"].read() as session:
        query = (select(ElementPassage.outcome, ElementPassage.left_at.is_(None))
                 .where(ElementPassage.instance_id == instance, ElementPassage.element_id == element)
                 .order_by(ElementPassage.id))
        return [(outcome, still_open) for outcome, still_open in session.execute(query)]


def _in_both_branches(flow: Flow) -> str:
    instance = flow.start("heatmap_demo", {"amount": 1, "redo": False})["id"]
    flow.finish(instance, "review")
    assert flow.elements(instance) == ["file", "pay"]
    return instance


def test_a_move_before_the_split_ends_the_passages_of_the_branches_it_cancels(app: Any, api: Any,
                                                                               flow: Flow) -> None:
    instance = _in_both_branches(flow)
    flow.finish(instance, "pay")  # its token waits at the join
    moved = api.post("admin", f"/api/v1/process-instances/{instance}/modify",
                     json={"cancel": ["file"], "startBefore": ["review"]})
    assert moved.status_code == 200, moved.get_json()
    body = figures(api)
    waiting = {e: v["waiting"] for e, v in body["elements"].items() if v["waiting"]}
    assert waiting == {"review": 1}  # the join's token was taken out of the tree, not left waiting
    assert [w["elementId"] for w in body["longestWaiting"]] == ["review"]
    assert _rows(app, instance, "join") == [(None, True), ("cancelled", False)]
    assert body["elements"]["join"]["cancelled"] == 1


def test_a_migration_keeps_when_the_waiting_tokens_entered(app: Any, api: Any, flow: Flow,
                                                           tmp_path: Path) -> None:
    instance = _in_both_branches(flow)
    entered = figures(api)["longestWaiting"]
    v2 = tmp_path / "heatmap_v2.bpmn"
    v2.write_text((FIXTURES / "engine" / "heatmap_demo.bpmn").read_text().replace('name="Pay"', 'name="Pay v2"'))
    api.deploy("modeler", v2)
    migrated = api.post("admin", f"/api/v1/process-instances/{instance}/migrate")
    assert migrated.status_code == 200, migrated.get_json()
    body = figures(api)
    assert body["version"] == 2
    assert {e: v["waiting"] for e, v in body["elements"].items() if v["waiting"]} == {"pay": 1, "file": 1}
    assert [w["since"] for w in body["longestWaiting"]] == [w["since"] for w in entered]
    assert _rows(app, instance, "pay") == [(None, True)]
    flow.finish(instance, "pay")
    assert _rows(app, instance, "pay") == [(None, True), ("completed", False)]


def test_a_token_waiting_at_a_join_of_a_cancelled_instance_is_cancelled_not_merged(app: Any, api: Any,
                                                                                   flow: Flow) -> None:
    instance = _in_both_branches(flow)
    flow.finish(instance, "pay")
    assert api.post("admin", f"/api/v1/process-instances/{instance}/cancel", json={}).status_code in (200, 204)
    assert _rows(app, instance, "join") == [(None, True), ("cancelled", False)]
    join = figures(api)["elements"]["join"]
    assert (join["cancelled"], join["avgSeconds"]) == (1, None)


def test_the_flow_into_and_out_of_an_activity_with_boundary_events_is_counted(api: Any, flow: Flow) -> None:
    flow.deploy("subprocess_errors.bpmn")
    instance = flow.start("sub_errors")["id"]
    url = "/api/v1/process-definitions/sub_errors/heatmap"
    assert api.get("admin", url).get_json()["flows"]["f_start"] == 1  # the sub-process's own token, waiting
    flow.finish(instance, "review", {"outcome": "ok"})
    flows = api.get("admin", url).get_json()["flows"]
    assert (flows["f_start"], flows["f_ok"], flows["f_after"]) == (1, 1, 1)  # also once its passage ended


def test_a_failure_working_out_the_passages_never_stops_the_step(api: Any, flow: Flow,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from server.engine import passages

    def broken(*_: Any) -> None:
        raise ValueError("a bug in the figures")

    instance = flow.start("heatmap_demo", {"amount": 1, "redo": False})["id"]
    monkeypatch.setattr(passages, "_row", broken)
    flow.finish(instance, "review")
    assert flow.elements(instance) == ["file", "pay"] and flow.instance(instance)["status"] == "running"


def test_a_filter_as_long_as_the_api_allows_is_read(api: Any, flow: Flow) -> None:
    flow.start("heatmap_demo", {"amount": 1, "redo": False})
    [limit] = [q["schema"]["maxLength"] for q in api.get("admin", "/api/v1/openapi.json").get_json()["paths"][
        "/api/v1/process-definitions/{key}/heatmap"]["get"]["parameters"] if q.get("name") == "filter"]
    long = "amount in [" + ", ".join(str(n) for n in range(1, 400)) + "]"
    long = long[:limit].rsplit(",", 1)[0] + "]"
    assert len(long) > 1000
    assert figures(api, filter=long)["elements"]["start"]["count"] == 1
    assert figures(api, expect=400, filter="amount == '\x00'")["error"]["field"] == "filter"


def test_a_migration_keeps_the_incoming_flow_of_an_activity_with_a_boundary_event(api: Any, flow: Flow,
                                                                                 tmp_path: Path) -> None:
    timer = ('<bpmn:boundaryEvent id="pay_late" attachedToRef="pay" cancelActivity="false"><bpmn:timerEventDefinition>'
             '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P10D</bpmn:timeDuration>'
             '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="late_end"/>'
             '<bpmn:sequenceFlow id="f_late" sourceRef="pay_late" targetRef="late_end"/></bpmn:process>')
    xml = (FIXTURES / "engine" / "heatmap_demo.bpmn").read_text().replace("</bpmn:process>", timer)
    for version, name in ((1, "Pay"), (2, "Pay v2")):
        path = tmp_path / f"heatmap_b{version}.bpmn"
        path.write_text(xml.replace('name="Pay"', f'name="{name}"'))
        api.deploy("modeler", path)
        if version == 1:
            instance = _in_both_branches(flow)
            flow.finish(instance, "file")  # the saved tree no longer holds the fork above `pay`'s split
    migrated = api.post("admin", f"/api/v1/process-instances/{instance}/migrate")
    assert migrated.status_code == 200, migrated.get_json()
    flow.finish(instance, "pay")
    assert figures(api)["flows"]["f_pay"] == 1
