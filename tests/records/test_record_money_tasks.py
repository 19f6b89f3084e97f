"""A record-form task over a type with a per-record-currency money field: the task's form has the amount
and a currency input (filled from the record), the page labels both, and completing it writes one value;
a missing currency is the task's 422 beside the currency input, and nothing is written."""

from __future__ import annotations

from typing import Any

from tests.records.test_record_money_currencies import DEAL

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="price_deal" name="Price a deal" isExecutable="true">
    <bpmn:startEvent id="start" camunda:formKey="record:deal" />
    <bpmn:userTask id="price" name="Set the price" camunda:formKey="record:deal" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="price" />
    <bpmn:sequenceFlow id="f2" sourceRef="price" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_record_form_task_sets_amount_and_currency(api: Any, browser: Any, tmp_path: Any) -> None:
    api.user("sam", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=DEAL).status_code == 201
    path = tmp_path / "price_deal.bpmn"
    path.write_text(PROCESS)
    api.deploy("modeler", str(path))
    made = api.post("sam", "/api/v1/records/deal", json={"fields": {
        "title": "Oak", "price": {"amount": "10.00", "currency": "CNY"}}}).get_json()
    started = api.post("sam", f"/api/v1/records/deal/{made['id']}/start", json={"process": "price_deal"})
    assert started.status_code == 201, started.get_json()
    [task] = [t for t in api.open_tasks("sam") if t["instanceId"] == started.get_json()["instanceId"]]
    form = api.get("sam", f"/api/v1/tasks/{task['id']}").get_json()["form"]
    assert form["properties"]["price"]["default"] == "10.00"
    assert form["properties"]["price__currency"]["default"] == "CNY"
    web = browser("sam")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="price__currency"' in page and "Price: currency" in page
    refused = web.post(f"/tasks/{task['id']}/complete", {"title": "Oak", "price": "12.00", "price__currency": ""},
                       from_page=f"/tasks/{task['id']}")
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert api.get("sam", f"/api/v1/records/deal/{made['id']}").get_json()["fields"]["price"] == \
        {"amount": "10.00", "currency": "CNY"}
    done = web.post(f"/tasks/{task['id']}/complete", {"title": "Oak", "price": "12.00", "price__currency": "USD"},
                    from_page=f"/tasks/{task['id']}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert api.get("sam", f"/api/v1/records/deal/{made['id']}").get_json()["fields"]["price"] == \
        {"amount": "12.00", "currency": "USD"}
