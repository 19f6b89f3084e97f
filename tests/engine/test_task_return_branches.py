"""Return (退回) on an instance with parallel branches: on the same branch only that branch moves; before the
split every branch is cancelled and they split again; a step of a sibling branch (or of a section already
joined) is refused, as a join would wait for ever."""

from __future__ import annotations

from tests.conftest import Api
from tests.engine.flow import Flow
from tests.engine.test_task_return import kinds, post


def started(api: Api) -> tuple[Flow, str]:
    api.user("boss")
    api.user("clerk", manager="boss")
    api.user("lawyer", groups=("legal",))
    api.user("fin", groups=("finance",))
    api.deploy("modeler", "approvals/parallel.bpmn")
    flow = Flow(api)
    instance = api.start("clerk", "parallel_review")["id"]
    flow.complete(flow.task(instance, "submit"), who="clerk")
    assert flow.elements(instance) == ["finance_check", "legal_review"]
    return flow, instance


def back(api: Api, flow: Flow, instance: str, element: str, who: str, to: str) -> dict:
    task = flow.task(instance, element)
    response = post(api, who, f"/api/v1/tasks/{task['id']}/return", to=to, comment="again please")
    return {"status": response.status_code, "body": response.get_json()}


def test_return_within_a_branch_leaves_the_sibling_branch_alone(api: Api) -> None:
    flow, instance = started(api)
    legal = flow.task(instance, "legal_review")
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    result = back(api, flow, instance, "finance_review", "fin", "previous")
    assert result["status"] == 200, result
    assert flow.elements(instance) == ["finance_check", "legal_review"]
    assert flow.task(instance, "legal_review")["id"] == legal["id"]  # untouched
    assert flow.task(instance, "finance_check")["assignee"] == "fin"  # who did it before
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    flow.complete(flow.task(instance, "finance_review"), who="fin")
    assert flow.elements(instance) == ["legal_review"]  # the join waits for legal
    flow.complete(legal, who="lawyer")
    assert flow.elements(instance) == ["sign"]


def test_return_before_the_split_cancels_every_branch_and_they_split_again(api: Api) -> None:
    flow, instance = started(api)
    flow.complete(flow.task(instance, "legal_review"), who="lawyer")  # legal's token waits at the join
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    result = back(api, flow, instance, "finance_review", "fin", "initiator")
    assert result["status"] == 200, result
    assert flow.elements(instance) == ["submit"]
    assert flow.task(instance, "submit")["assignee"] == "clerk"
    history = api.get("clerk", f"/api/v1/process-instances/{instance}/history").get_json()["items"]
    returned = next(e for e in history if e["kind"] == "task.returned")
    assert returned["data"]["cancelledBranches"] == ["join"], returned["data"]
    flow.complete(flow.task(instance, "submit"), who="clerk")
    assert flow.elements(instance) == ["finance_check", "legal_review"]  # legal must review again
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    flow.complete(flow.task(instance, "finance_review"), who="fin")
    assert flow.elements(instance) == ["legal_review"]  # the old arrival at the join does not count
    flow.complete(flow.task(instance, "legal_review"), who="lawyer")
    assert flow.elements(instance) == ["sign"]
    flow.complete(flow.task(instance, "sign"), who="boss")
    assert flow.instance(instance)["status"] == "completed"
    assert flow.instance(instance)["activeElements"] == []


def test_return_to_a_step_of_a_sibling_branch_is_refused(api: Api) -> None:
    flow, instance = started(api)
    flow.complete(flow.task(instance, "legal_review"), who="lawyer")
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    before = kinds(api, instance)
    result = back(api, flow, instance, "finance_review", "fin", "legal_review")
    assert result["status"] == 409, result
    message = result["body"]["error"]["message"]
    assert "legal_review" in message and "same branch" in message and "join" in message, message
    assert kinds(api, instance) == before and flow.elements(instance) == ["finance_review"]


def test_after_the_join_a_return_into_a_branch_is_refused_and_one_before_the_split_works(api: Api) -> None:
    flow, instance = started(api)
    flow.complete(flow.task(instance, "legal_review"), who="lawyer")
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    flow.complete(flow.task(instance, "finance_review"), who="fin")
    result = back(api, flow, instance, "sign", "boss", "legal_review")
    assert result["status"] == 409 and "same branch" in result["body"]["error"]["message"], result
    assert flow.elements(instance) == ["sign"]
    result = back(api, flow, instance, "sign", "boss", "initiator")
    assert result["status"] == 200, result
    flow.complete(flow.task(instance, "submit"), who="clerk")
    assert flow.elements(instance) == ["finance_check", "legal_review"]


def test_previous_skips_the_sibling_branch(api: Api) -> None:
    flow, instance = started(api)
    flow.complete(flow.task(instance, "finance_check"), who="fin")
    flow.complete(flow.task(instance, "legal_review"), who="lawyer")  # the latest step, on the other branch
    result = back(api, flow, instance, "finance_review", "fin", "previous")
    assert result["status"] == 200, result
    assert flow.elements(instance) == ["finance_check"]


def test_admins_move_a_token_past_the_join_or_not_into_a_sibling_branch(api: Api) -> None:
    flow, instance = started(api)
    url = f"/api/v1/process-instances/{instance}/modify"
    response = post(api, "admin", url, cancel=["finance_check"], startBefore=["legal_review"])
    assert response.status_code == 409 and "same branch" in str(response.get_json())
    assert flow.elements(instance) == ["finance_check", "legal_review"]
    response = post(api, "admin", url, cancel=["finance_check"], startBefore=["sign"])
    assert response.status_code == 200, response.get_json()
    assert flow.elements(instance) == ["sign"]  # past the join: the legal branch is cancelled too
    flow.complete(flow.task(instance, "sign"), who="boss")
    assert flow.instance(instance)["status"] == "completed"
