"""Multi-instance over the standard `loopDataInputRef` + `inputDataItem`, not only `camunda:collection`."""

from __future__ import annotations

from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api


def test_each_item_of_the_input_collection_gets_an_instance(team: Api) -> None:
    team.deploy("modeler", "camunda7/loop_data_input.bpmn")
    started = team.start("staff", "loopDataInput", {"reviewers": ["kermit_0", "kermit_1"]})
    tasks = sorted(open_by_element(team, started["id"])["review"], key=lambda t: t["assignee"])
    assert [(t["assignee"], t["name"]) for t in tasks] == [("kermit_0", "Review by kermit_0"),
                                                          ("kermit_1", "Review by kermit_1")]
    for task in tasks:
        complete(team, task["assignee"], task["id"], {"verdict": f"ok from {task['assignee']}"})
    body = instance(team, started["id"])
    assert body["status"] == "completed"
    assert body["variables"]["verdicts"] == ["ok from kermit_0", "ok from kermit_1"]


def test_a_collection_given_twice_is_refused(team: Api) -> None:
    error = team.deploy("modeler", "camunda7/loop_data_input_twice.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "review" and "camunda:collection or loopDataInputRef" in error["message"]
