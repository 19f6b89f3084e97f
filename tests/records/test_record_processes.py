"""Processes use records: a record-form user task creates or updates the record, the records.* connectors
write and read records from service tasks, a process bound to a type starts from one of its records, and
names the record types and fields it uses at deploy (refused naming the element when they do not exist)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, run_due_jobs

FIXTURES = "record_processes"


@pytest.fixture
def shop(api: Api) -> Api:
    api.user("wang", roles=("staff",))
    api.user("li", roles=("staff",))
    api.deploy("modeler", f"{FIXTURES}/work_order.record.json", f"{FIXTURES}/wo_new.bpmn",
               f"{FIXTURES}/wo_from_record.bpmn", f"{FIXTURES}/wo_create.bpmn")
    return api


def _task(api: Api, who: str, instance_id: str) -> dict[str, Any]:
    [task] = [t for t in api.open_tasks(who) if t["instanceId"] == instance_id]
    return api.get(who, f"/api/v1/tasks/{task['id']}").get_json()


def _complete(api: Api, who: str, task_id: str, variables: dict[str, Any]) -> Any:
    return api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})


def _instance(api: Api, instance_id: str) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()


def test_a_record_form_task_creates_the_record_and_connectors_update_and_query_it(shop: Api) -> None:
    started = shop.start("wang", "wo_new", {"minQty": 2})
    task = _task(shop, "wang", started["id"])
    form = task["form"]
    assert set(form["properties"]) == {"title", "qty", "status"}  # cost: wang may not write it
    assert "cost" not in str(form) and form["x-record"]["id"] is None
    refused = _complete(shop, "wang", task["id"], {"title": "Oak table", "qty": 0})
    assert refused.status_code == 422 and "qty" in refused.get_json()["error"]["fields"]
    assert shop.get("admin", "/api/v1/records/work_order").get_json()["total"] == 0  # nothing written
    hidden = _complete(shop, "wang", task["id"], {"title": "Oak table", "cost": "1"})
    assert hidden.status_code == 422 and hidden.get_json()["error"]["fields"]["cost"]

    done = _complete(shop, "wang", task["id"], {"title": "Oak table", "qty": 3, "status": "new"})
    assert done.status_code == 200, done.get_json()
    [record] = shop.get("admin", "/api/v1/records/work_order").get_json()["items"]
    assert record["fields"]["title"] == "Oak table" and record["createdBy"] == "wang"
    assert run_due_jobs(shop.app) == 2  # records.update, then records.query
    body = _instance(shop, started["id"])
    assert body["variables"]["record"]["id"] == record["id"]
    assert body["variables"]["markedVersion"] == 2
    assert (body["variables"]["startedCount"], body["variables"]["firstTitle"]) == (1, "Oak table")
    assert [t["elementId"] for t in body["openTasks"]] == ["review"]
    again = shop.get("admin", f"/api/v1/records/work_order/{record['id']}").get_json()
    assert again["fields"]["status"] == "started" and again["updatedBy"] == "wang"  # as the starter
    history = shop.get("admin", f"/api/v1/records/work_order/{record['id']}/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated"]
    linked = shop.get("wang", f"/api/v1/records/work_order/{record['id']}/processes").get_json()
    assert [i["id"] for i in linked["instances"]] == [started["id"]]
    assert [p["key"] for p in linked["startable"]] == ["wo_report"]


def test_a_process_bound_to_the_type_starts_from_a_record_and_updates_it(shop: Api) -> None:
    made = shop.post("wang", "/api/v1/records/work_order", json={"fields": {"title": "Chair", "qty": 4}}).get_json()
    plain = shop.start("wang", "wo_report", expect=400)
    assert "started from a work_order record" in plain["error"]["message"]
    wrong = shop.post("wang", f"/api/v1/records/work_order/{made['id']}/start", json={"process": "wo_new"})
    assert wrong.status_code == 400 and "not started from work_order records" in wrong.get_json()["error"]["message"]
    started = shop.post("li", f"/api/v1/records/work_order/{made['id']}/start", json={"process": "wo_report"})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instanceId"]
    assert _instance(shop, instance_id)["variables"]["record"]["title"] == "Chair"

    task = _task(shop, "li", instance_id)
    assert task["form"]["x-record"]["id"] == made["id"]
    assert task["form"]["properties"]["qty"]["default"] == 4  # filled with the record's values
    done = _complete(shop, "li", task["id"], {"qty": 5, "status": "done"})
    assert done.status_code == 200, done.get_json()
    record = shop.get("admin", f"/api/v1/records/work_order/{made['id']}").get_json()
    assert (record["fields"]["qty"], record["fields"]["status"], record["updatedBy"]) == (5, "done", "li")
    assert shop.get("admin", "/api/v1/records/work_order").get_json()["total"] == 1  # updated, not created
    assert _instance(shop, instance_id)["status"] == "completed"


def test_records_create_connector_links_the_new_record(shop: Api) -> None:
    started = shop.start("wang", "wo_create", {"title": "Desk", "qty": 2})
    assert run_due_jobs(shop.app) == 1
    body = _instance(shop, started["id"])
    order_id = body["variables"]["orderId"]
    task = _task(shop, "wang", started["id"])
    assert task["form"]["x-record"]["id"] == order_id  # the record-form task now updates it
    linked = shop.get("wang", f"/api/v1/records/work_order/{order_id}/processes").get_json()
    assert [i["id"] for i in linked["instances"]] == [started["id"]]


def test_a_refused_connector_write_is_an_incident_and_writes_nothing(shop: Api) -> None:
    started = shop.start("wang", "wo_create", {"title": "Desk", "qty": 0})
    run_due_jobs(shop.app)
    body = _instance(shop, started["id"])
    assert body["status"] == "error", body
    assert "qty" in str(body.get("error") or body)
    assert shop.get("admin", "/api/v1/records/work_order").get_json()["total"] == 0


BAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="bad" isExecutable="true">
    <bpmn:startEvent id="start" />
    {element}
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="it" />
    <bpmn:sequenceFlow id="f2" sourceRef="it" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
CONNECTOR = """<bpmn:serviceTask id="it"><bpmn:extensionElements><camunda:connector>
  <camunda:connectorId>records.create</camunda:connectorId><camunda:inputOutput>
  <camunda:inputParameter name="type">{type}</camunda:inputParameter>
  <camunda:inputParameter name="fields"><camunda:map><camunda:entry key="{field}">x</camunda:entry></camunda:map>
  </camunda:inputParameter></camunda:inputOutput></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>"""


@pytest.mark.parametrize("element, message", [
    ('<bpmn:userTask id="it" camunda:formKey="record:nothing" />', "record type 'nothing', which is not deployed"),
    ('<bpmn:userTask id="it" camunda:formKey="embedded:x.html" />', "camunda:formKey is not supported"),
    ('<bpmn:userTask id="it" camunda:formKey="record:Bad-Key" />', "camunda:formKey is not supported"),
    (CONNECTOR.format(type="work_order", field="colour"), "has no field 'colour'"),
    (CONNECTOR.format(type="nothing", field="title"), "record type 'nothing', which is not deployed"),
    (CONNECTOR.format(type="${kind}", field="title"), "must be a record type key written out"),
])
def test_unknown_types_and_fields_are_refused_at_deploy(shop: Api, tmp_path: Path, element: str,
                                                        message: str) -> None:
    path = tmp_path / "bad.bpmn"
    path.write_text(BAD.format(element=element))
    response = shop.deploy("modeler", path, expect=None)
    assert response.status_code in (400, 422), response.get_json()
    error = response.get_json()["error"]
    assert message in error["message"] and error.get("element") == "it", error
    assert shop.get("admin", "/api/v1/process-definitions/bad").status_code == 404


def test_a_record_type_in_the_same_upload_is_known(api: Api) -> None:
    response = api.deploy("modeler", f"{FIXTURES}/wo_new.bpmn", f"{FIXTURES}/work_order.record.json")
    assert {p["key"] for p in response.get_json()["processes"]} == {"wo_new"}


def test_the_record_page_starts_a_bound_process_and_its_task_shows_the_record_form(shop: Api, browser: Any) -> None:
    made = shop.post("wang", "/api/v1/records/work_order", json={"fields": {"title": "Stool", "qty": 1}}).get_json()
    web = browser("wang")
    url = f"/records/work_order/{made['id']}"
    page = web.get(url).get_data(as_text=True)
    assert 'data-testid="start-wo_report"' in page and "record-instances" not in page
    assert "start-wo_new" not in page  # not bound to the type
    started = web.post(f"{url}/start", {"process": "wo_report"}, from_page=url)
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]
    task_page = web.get(started.headers["Location"], headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert 'name="qty"' in task_page and 'name="cost"' not in task_page and "数量" in task_page
    done = web.post(started.headers["Location"] + "/complete", {"title": "Stool", "qty": "0"},
                    from_page=started.headers["Location"])
    assert done.status_code == 422  # the records validator's message on the task form, nothing written
    assert shop.get("admin", f"/api/v1/records/work_order/{made['id']}").get_json()["version"] == 1
    listed = web.get(url).get_data(as_text=True)
    assert 'data-testid="record-instances"' in listed and "Report a step" in listed
    assert "wo_report" not in web.get("/start").get_data(as_text=True)  # started from records only


def test_an_emptied_input_on_a_record_form_task_clears_the_field(shop: Api, browser: Any) -> None:
    made = shop.post("wang", "/api/v1/records/work_order",
                     json={"fields": {"title": "Stool", "qty": 3, "status": "new"}}).get_json()
    web = browser("wang")
    url = f"/records/work_order/{made['id']}"
    started = web.post(f"{url}/start", {"process": "wo_report"}, from_page=url)
    task_url = started.headers["Location"]
    done = web.post(task_url + "/complete", {"title": "Stool", "qty": "", "status": "new"}, from_page=task_url)
    assert done.status_code == 302, done.get_data(as_text=True)
    fields = shop.get("admin", f"/api/v1/records/work_order/{made['id']}").get_json()["fields"]
    assert fields.get("qty") is None and fields["status"] == "new" and fields["title"] == "Stool"


def test_a_record_form_step_takes_no_more_signers(shop: Api) -> None:
    """Each signer's submission would write the record before the step is decided: refused, nothing changed."""
    started = shop.start("wang", "wo_new", {"minQty": 2})
    task = _task(shop, "wang", started["id"])
    shop.post("wang", f"/api/v1/tasks/{task['id']}/claim")
    for mode in ("parallel", "before", "after"):
        refused = shop.post("wang", f"/api/v1/tasks/{task['id']}/add-signers", json={"users": ["admin"], "mode": mode})
        assert refused.status_code == 409 and "record form" in refused.get_json()["error"]["message"], mode
    assert _task(shop, "wang", started["id"])["assignee"] == "wang"
