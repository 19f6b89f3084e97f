"""Camunda Forms (`.form` files from Camunda Modeler) deployed beside the BPMN: rendered on the task page
by BOMS's form renderer, and a submission validated server-side with the form's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.forms.camunda_forms import schema_from_camunda_form
from server.forms.schema import FormDefinitionError
from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import FIXTURES, Api

FORM = json.loads((FIXTURES / "camunda7/invoice.form").read_text())
GOOD = {"supplier": "ACME Ltd", "amount": 120.5, "category": "it", "checks": ["order"], "approved": True,
        "payOn": "2026-12-24", "contact": "ap@acme.example"}


def test_the_form_becomes_a_json_schema_with_its_rules() -> None:
    schema = schema_from_camunda_form(FORM, "invoice.form")
    assert schema["x-order"] == ["supplier", "amount", "contact", "category", "checks", "approved", "payOn",
                                 "remarks"]
    assert schema["required"] == ["supplier", "amount"]
    assert schema["properties"]["supplier"] | {} == {"title": "Supplier", "type": "string", "minLength": 2,
                                                     "maxLength": 40, "pattern": "^[A-Za-z ]+$"}
    assert schema["properties"]["category"]["enum"] == ["office", "travel", "it", "other"]
    assert schema["properties"]["payOn"]["format"] == "date" and "Check the invoice" in schema["description"]


@pytest.mark.parametrize(("component", "message"), [
    ({"type": "group", "key": "g", "components": []}, "'components' is not supported"),
    ({"type": "iframe", "key": "f", "url": "https://x"}, "'url' is not supported"),
    ({"type": "textfield", "key": "a", "conditional": {"hide": "=x"}}, "'conditional' is not supported"),
    ({"type": "select", "key": "a", "valuesKey": "options"}, "'valuesKey' is not supported"),
    ({"type": "filepicker", "key": "a"}, "the form component 'filepicker' is not supported"),
    ({"type": "number", "key": "a", "decimalDigits": 2}, "'decimalDigits' is not supported"),
    ({"type": "datetime", "key": "a", "disallowPassedDates": True}, "'disallowPassedDates' is not supported"),
    ({"type": "number", "key": "a", "validate": {"minLength": 2}}, "does not apply to a number"),
    ({"type": "textfield", "key": "a", "validate": {"validationType": "phone"}}, "validationType 'phone'"),
])
def test_unsupported_components_are_refused_naming_them(component: dict[str, Any], message: str) -> None:
    with pytest.raises(FormDefinitionError) as caught:
        schema_from_camunda_form({"components": [component]}, "x.form")
    assert message in caught.value.message and caught.value.field == component["key"]


def test_rendered_validated_and_completed(team: Api, browser: Any) -> None:
    team.deploy("modeler", "camunda7/camunda_forms.bpmn", "camunda7/invoice.form")
    started = team.start("staff", "camundaForms")
    [task] = open_by_element(team, started["id"])["check"]
    page = browser("staff").get(f"/tasks/{task['id']}").get_data(as_text=True)
    for text in ("Supplier", "Contact e-mail", "Goods received", "Check the invoice", 'name="remarks"'):
        assert text in page, text
    cases = [({**GOOD, "supplier": ""}, "supplier"), ({**GOOD, "supplier": "AC3"}, "supplier"),
             ({**GOOD, "amount": 0}, "amount"), ({**GOOD, "amount": 20000}, "amount"),
             ({**GOOD, "category": "food"}, "category"), ({**GOOD, "contact": "nope"}, "contact"),
             ({**GOOD, "checks": ["order", "cash"]}, "checks")]
    for variables, field in cases:
        response = team.post("staff", f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables})
        assert response.status_code == 422, (variables, response.get_json())
        assert any(f.split(".")[0] == field for f in response.get_json()["error"]["fields"]), response.get_json()
    complete(team, "staff", task["id"], GOOD)
    [again] = open_by_element(team, started["id"])["again"]  # the same form, linked by its file name
    complete(team, "staff", again["id"], GOOD)
    body = instance(team, started["id"])
    assert body["status"] == "completed" and body["variables"]["category"] == "it"


def test_a_missing_form_is_refused_at_deploy(team: Api) -> None:
    error = team.deploy("modeler", "camunda7/camunda_forms.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "check" and "invoiceForm" in error["message"] and "not in this deployment" in \
        error["message"]


def test_a_bad_component_is_refused_at_deploy_naming_file_and_component(team: Api, tmp_path: Path) -> None:
    bad = tmp_path / "invoice.form"
    bad.write_text(json.dumps({**FORM, "components": [*FORM["components"], {"type": "table", "key": "rows"}]}))
    error = team.deploy("modeler", "camunda7/camunda_forms.bpmn", bad, expect=422).get_json()["error"]
    assert error["file"] == "invoice.form" and error["field"] == "rows" and "'table'" in error["message"]


def test_engine_rest_names_and_serves_the_deployed_form(team: Api) -> None:
    """A tasklist written for Camunda 7 reads formKey / camundaFormRef and fetches the form-js JSON."""
    team.deploy("modeler", "camunda7/camunda_forms.bpmn", "camunda7/invoice.form")
    started = team.start("staff", "camundaForms")
    [task] = team.get("staff", f"/engine-rest/task?processInstanceId={started['id']}").get_json()
    assert task["formKey"] is None
    assert task["camundaFormRef"] == {"key": "invoiceForm", "binding": "latest", "version": None}
    served = team.get("staff", f"/engine-rest/task/{task['id']}/deployed-form")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == FORM
    assert team.get("bob", f"/engine-rest/task/{task['id']}/deployed-form").status_code == 403
    complete(team, "staff", task["id"], GOOD)
    [again] = team.get("staff", f"/engine-rest/task?processInstanceId={started['id']}").get_json()
    assert again["formKey"] == "camunda-forms:deployment:invoice.form" and again["camundaFormRef"] is None
    assert team.get("staff", f"/engine-rest/task/{again['id']}/deployed-form").get_json() == FORM
