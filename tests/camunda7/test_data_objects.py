"""Data stores and data objects in Camunda files are drawn, not executed (as in Camunda); in SpiffArena
files a data store BOMS has no implementation for is refused naming the element and line."""

from __future__ import annotations

from pathlib import Path

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import FIXTURES, Api


def test_camunda_data_objects_and_stores_deploy_and_do_not_run(team: Api) -> None:
    team.deploy("modeler", "camunda7/data_objects.bpmn")
    started = team.start("staff", "dataStores", {"x": 1})
    [task] = open_by_element(team, started["id"])["work"]  # reading the unwritten data object did not fail
    complete(team, "staff", task["id"], {"y": 2})
    body = instance(team, started["id"])
    assert body["status"] == "completed" and body["variables"] == {"x": 1, "y": 2}
    xml = team.get("staff", "/api/v1/process-definitions/dataStores/xml")
    assert xml.status_code == 200 and b"dataStoreReference" in xml.data  # stored unchanged: the diagram draws it


def test_a_spiffarena_data_store_without_implementation_is_refused_naming_it(team: Api, tmp_path: Path) -> None:
    text = (FIXTURES / "camunda7/data_objects.bpmn").read_text().replace(
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')
    path = tmp_path / "spiff_store.bpmn"
    path.write_text(text)
    error = team.deploy("modeler", path, expect=422).get_json()["error"]
    assert error["element"] == "Store_1" and error["line"] == 4 and "Orders DB" in error["message"]
