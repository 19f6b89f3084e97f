"""CC (抄送) configured on a user task: when it is reached or completed, to names or an expression."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES, Api
from tests.engine.test_task_delegation import notified
from tests.engine.test_task_return import kinds, setup, submitted

OPENING = ('<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
           '      <bpmn:extensionElements>')


def with_properties(tmp_path: Path, properties: dict[str, str]) -> Path:
    lines = "".join(f'          <camunda:property name="{k}" value="{v}"/>\n' for k, v in properties.items())
    text = (FIXTURES / "approvals" / "actions.bpmn").read_text().replace(
        OPENING, f"{OPENING}\n        <camunda:properties>\n{lines}        </camunda:properties>")
    path = tmp_path / "actions.bpmn"
    path.write_text(text)
    return path


def copied(api: Api, who: str) -> list[str]:
    return [t["elementId"] for t in api.open_tasks(who, view="cc", status="")]


def test_cc_on_completion_from_an_expression_over_the_decision(api: Api, tmp_path: Path) -> None:
    flow = setup(api)
    api.user("aud", groups=("audit",))
    # Copied when the manager approves: the people of the expression, and the group an expression names.
    api.deploy("modeler", with_properties(tmp_path, {
        "ccWhen": "completed",
        "ccUsers": "${managerDecision == &quot;approve&quot; ? [&quot;other&quot;] : []}",
        "ccGroups": "${managerDecision == &quot;approve&quot; ? &quot;audit&quot; : &quot;&quot;}"}))
    approved = submitted(api, flow)
    assert copied(api, "other") == []  # not when the task is reached
    flow.complete(flow.task(approved, "manager_review"), {"managerDecision": "approve"}, who="boss")
    assert "finance_review" in copied(api, "other")  # the request's steps, copied on completion
    assert "finance_review" in copied(api, "aud") and "task.cc" in notified(api, "aud")
    history = api.get("clerk", f"/api/v1/process-instances/{approved}/history").get_json()["items"]
    cc = next(e for e in history if e["kind"] == "task.cc")
    assert cc["data"]["when"] == "completed" and cc["data"]["users"] == ["aud", "other"]
    assert cc["actor"] == "boss" and cc["data"]["automatic"] is True

    rejected = submitted(api, flow)
    flow.complete(flow.task(rejected, "manager_review"), {"managerDecision": "reject"}, who="boss")
    assert "task.cc" not in kinds(api, rejected)


def test_a_cc_expression_that_gives_no_names_is_an_incident(api: Api, tmp_path: Path) -> None:
    flow = setup(api)
    api.deploy("modeler", with_properties(tmp_path, {"ccWhen": "completed", "ccUsers": "${amount}"}))
    instance = submitted(api, flow)
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    body = flow.instance(instance)
    assert body["status"] == "error", body
    assert "ccUsers" in body["error"]["message"] and "manager_review" in body["error"]["message"]


def test_cc_when_reached_from_an_expression(api: Api, tmp_path: Path) -> None:
    flow = setup(api)
    api.deploy("modeler", with_properties(tmp_path, {"ccUsers": "${[&quot;other&quot;, initiator]}"}))
    instance = submitted(api, flow)
    assert "manager_review" in copied(api, "other")  # the initiator is never copied on their own request
    assert copied(api, "clerk") == []
    assert flow.instance(instance)["status"] == "running"


def test_bad_cc_properties_are_refused_at_deploy(api: Api, tmp_path: Path) -> None:
    setup(api)
    for properties, text in (({"ccWhen": "started"}, "ccWhen"), ({"ccUsers": "${manager(}"}, "ccUsers"),
                             ({"ccGroups": "${nosuch(initiator)}"}, "ccGroups")):
        response = api.deploy("modeler", with_properties(tmp_path, properties), expect=422).get_json()
        message = response["error"]["message"]
        assert text in message and "manager_review" in message, message


def test_after_a_failed_cc_on_completion_a_retry_moves_the_instance_on(api: Api, tmp_path: Path) -> None:
    """The person's part was done when the CC failed: a retry runs the step on, it does not strand it."""
    flow = setup(api)
    api.deploy("modeler", with_properties(tmp_path, {"ccWhen": "completed", "ccUsers": "${amount}"}))
    instance = submitted(api, flow)
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    assert flow.instance(instance)["status"] == "error"
    retried = api.post("admin", f"/api/v1/process-instances/{instance}/retry", json={})
    assert retried.status_code == 200, retried.get_json()
    body = flow.instance(instance)
    assert body["status"] == "running" and body["activeElements"] == ["finance_review"]
