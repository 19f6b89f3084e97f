"""The engine-rest calls a Camunda 7 client makes besides external tasks: deploy, start, the task list,
claim, form variables, complete with typed variables, message correlation, signals, history, delete.

Requests follow the examples of Camunda 7's REST reference, sent as a client written for Camunda sends them."""

from __future__ import annotations

import io
from typing import Any

from tests.camunda7.conftest import instance
from tests.conftest import FIXTURES, Api

REST = "/engine-rest"


def _deploy(api: Api, who: str, **fields: str) -> Any:
    data: dict[str, Any] = {"deployment-name": "invoice", "deployment-source": "Camunda Modeler",
                            "deploy-changed-only": "true", **fields,
                            "data": (io.BytesIO((FIXTURES / "camunda7/engine_rest.bpmn").read_bytes()),
                                     "engine_rest.bpmn")}
    return api.client.post(f"{REST}/deployment/create", headers=api.headers(who), data=data,
                           content_type="multipart/form-data")


def test_a_camunda_client_deploys_starts_works_and_reads_history(team: Api) -> None:
    deployed = _deploy(team, "modeler")
    assert deployed.status_code == 200, deployed.get_json()
    [definition] = deployed.get_json()["deployedProcessDefinitions"].values()
    assert definition["key"] == "invoiceRest" and definition["version"] == 1
    assert _deploy(team, "staff").status_code == 403  # staff may not deploy
    refused = _deploy(team, "modeler", **{"enable-duplicate-filtering": "false"})
    assert refused.status_code == 400 and "enable-duplicate-filtering" in refused.get_json()["message"]
    listed = team.get("staff", f"{REST}/process-definition?key=invoiceRest&latestVersion=true").get_json()
    assert [d["id"] for d in listed] == [definition["id"]]

    started = team.post("staff", f"{REST}/process-definition/key/invoiceRest/start",
                        json={"businessKey": "INV-1"}).get_json()
    tasks = team.get("staff", f"{REST}/task?candidateGroup=staff&processInstanceId={started['id']}").get_json()
    [task] = tasks
    assert task["name"] == "Approve invoice" and task["taskDefinitionKey"] == "approve" and task["assignee"] is None
    assert team.get("bob", f"{REST}/task/{task['id']}").status_code == 403  # not a candidate
    assert team.get("staff", f"{REST}/task?taskDefinitionKey=approve&unassigned=true").get_json()[0]["id"] == task["id"]
    assert team.get("staff", f"{REST}/task?tenantIdIn=x").status_code == 400  # not implemented: refused

    assert task["formKey"] is None and task["camundaFormRef"] is None  # a generated form (camunda:formData)
    missing = team.get("staff", f"{REST}/task/{task['id']}/deployed-form")
    assert missing.status_code == 404 and "no deployed Camunda Form" in missing.get_json()["message"]
    form = team.get("staff", f"{REST}/task/{task['id']}/form-variables").get_json()
    assert form["amount"]["value"] == 10 and form["approved"]["value"] is None
    assert team.post("staff", f"{REST}/task/{task['id']}/claim", json={"userId": "bob"}).status_code == 400
    assert team.post("staff", f"{REST}/task/{task['id']}/claim", json={"userId": "staff"}).status_code == 204
    assert team.get("staff", f"{REST}/task?assignee=staff").get_json()[0]["id"] == task["id"]
    missing = team.post("staff", f"{REST}/task/{task['id']}/complete", json={"variables": {}})
    assert missing.status_code == 422 and "approved" in missing.get_json()["message"]
    done = team.post("staff", f"{REST}/task/{task['id']}/complete", json={
        "variables": {"approved": {"value": True, "type": "Boolean"}, "amount": {"value": 12, "type": "Long"}},
        "withVariablesInReturn": True})
    assert done.status_code == 200 and done.get_json()["approved"] == {"type": "Boolean", "value": True,
                                                                       "valueInfo": {}}

    assert team.post("staff", f"{REST}/message", json={"messageName": "PaymentReceived"}).status_code == 403
    correlated = team.post("admin", f"{REST}/message", json={
        "messageName": "PaymentReceived", "businessKey": "INV-1", "resultEnabled": True,
        "processVariables": {"paidAt": {"value": "2026-12-01T10:00:00", "type": "Date"}}})
    assert correlated.status_code == 200
    assert correlated.get_json()[0]["resultType"] == "Execution"
    assert correlated.get_json()[0]["execution"]["processInstanceId"] == started["id"]
    assert team.post("admin", f"{REST}/message", json={"messageName": "PaymentReceived", "all": True}).status_code \
        == 400
    assert team.post("admin", f"{REST}/signal", json={"name": "StopAll"}).status_code == 204
    body = instance(team, started["id"])
    assert body["status"] == "completed" and body["variables"]["paidAt"] == "2026-12-01T10:00:00"

    [history] = team.get("staff", f"{REST}/history/process-instance?processInstanceBusinessKey=INV-1").get_json()
    assert history["state"] == "COMPLETED" and history["startUserId"] == "staff" and history["endTime"]
    assert team.get("staff", f"{REST}/process-instance?businessKey=INV-1").get_json() == []  # ended
    [ended] = team.get("staff", f"{REST}/history/task?processInstanceId={started['id']}&finished=true").get_json()
    assert ended["assignee"] == "staff" and ended["deleteReason"] == "completed"


def test_instances_list_and_delete(team: Api) -> None:
    assert _deploy(team, "modeler").status_code == 200
    started = team.post("staff", f"{REST}/process-definition/key/invoiceRest/start", json={}).get_json()
    listed = team.get("staff", f"{REST}/process-instance?processDefinitionKey=invoiceRest").get_json()
    assert [i["id"] for i in listed] == [started["id"]]
    url = f"{REST}/process-instance/{started['id']}"
    assert team.client.delete(url, headers=team.headers("bob")).status_code == 403
    assert team.client.delete(f"{url}?skipCustomListeners=true", headers=team.headers("staff")).status_code == 400
    assert team.client.delete(url, headers=team.headers("staff")).status_code == 204
    assert instance(team, started["id"])["status"] == "cancelled"
    [history] = team.get("staff", f"{REST}/history/process-instance?finished=true").get_json()
    assert history["state"] == "EXTERNALLY_TERMINATED"
