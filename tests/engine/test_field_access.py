"""Field permissions per step: a hidden field never reaches that step's reader (JSON, page, history), a
read-only one is shown but dropped from submissions; bad properties are refused at deploy."""

from __future__ import annotations

from typing import Any

from tests.conftest import FIXTURES, Api
from tests.engine.flow import Flow
from tests.engine.test_task_return import setup


def deploy_with_access(api: Api, tmp_path: Any, access: str, expect: int = 201) -> Any:
    text = (FIXTURES / "approvals" / "actions.bpmn").read_text()
    text = text.replace('<camunda:formField id="amount" label="Amount" type="long"/>',
                        '<camunda:formField id="amount" label="Amount" type="long"/>\n'
                        '          <camunda:formField id="iban" label="IBAN" type="string"/>')
    text = text.replace(
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        '      <bpmn:extensionElements>',
        '<bpmn:userTask id="manager_review" name="Manager review" camunda:assignee="${manager(initiator)}">\n'
        f'      <bpmn:extensionElements>\n        <camunda:properties>{access}</camunda:properties>')
    (tmp_path / "actions.bpmn").write_text(text)
    return api.deploy("modeler", tmp_path / "actions.bpmn", expect=expect)


def test_hidden_fields_never_leave_the_server(api: Api, browser: Any, tmp_path: Any) -> None:
    flow: Flow = setup(api)
    deploy_with_access(api, tmp_path, '<camunda:property name="hiddenFields" value="iban"/>'
                                      '<camunda:property name="readOnlyFields" value="managerDecision"/>')
    instance = api.start("clerk", "approval_actions")["id"]
    flow.complete(flow.task(instance, "submit"), {"amount": 120, "iban": "DE89370400440532013000"}, who="clerk")
    task = flow.task(instance, "manager_review")
    detail = api.get("boss", f"/api/v1/tasks/{task['id']}").get_json()
    assert "iban" not in detail["variables"] and detail["variables"]["amount"] == 120
    assert detail["form"]["properties"]["managerDecision"]["readOnly"] is True
    for url in (f"/api/v1/process-instances/{instance}", f"/api/v1/process-instances/{instance}/history"):
        assert "DE8937" not in api.get("boss", url).get_data(as_text=True)
    boss = browser("boss")
    for url in (f"/tasks/{task['id']}", f"/instances/{instance}"):
        assert "DE8937" not in boss.get(url).get_data(as_text=True)
    # The initiator still sees their own data.
    assert "DE8937" in api.get("clerk", f"/api/v1/process-instances/{instance}").get_data(as_text=True)
    # A read-only field cannot be changed: refused naming it (never dropped silently), and nothing is stored.
    refused = api.post("boss", f"/api/v1/tasks/{task['id']}/complete",
                       json={"variables": {"managerDecision": "reject"}})
    assert refused.status_code == 422 and "managerDecision" in refused.get_json()["error"]["fields"]
    flow.complete(task, {}, who="boss")
    assert "managerDecision" not in flow.instance(instance)["variables"]


def test_bad_field_permissions_are_refused_at_deploy(api: Api, tmp_path: Any) -> None:
    setup(api)
    for access, text in (('<camunda:property name="hiddenFields" value="iban, 9x"/>', "not a variable name"),
                         ('<camunda:property name="hiddenFields" value="iban"/>'
                          '<camunda:property name="readOnlyFields" value="iban"/>', "both list")):
        error = deploy_with_access(api, tmp_path, access, expect=422).get_json()["error"]
        assert error["element"] == "manager_review" and text in error["message"], error
