"""Return (退回), withdraw (撤回) and the admins' instance modification, through the API: the token moves,
the earlier step opens again for who did it, variables stay, the history and diagram path show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import AuditEvent
from tests.conftest import Api
from tests.engine.flow import Flow


def setup(api: Api) -> Flow:
    api.user("boss")
    api.user("clerk", manager="boss")
    api.user("fin", groups=("finance",))
    api.user("other")
    api.deploy("modeler", "approvals/actions.bpmn")
    return Flow(api)


def submitted(api: Api, flow: Flow) -> str:
    instance = api.start("clerk", "approval_actions")["id"]
    flow.complete(flow.task(instance, "submit"), {"amount": 120}, who="clerk")
    return instance


def kinds(api: Api, instance: str) -> list[str]:
    with api.app.extensions["boms_db"].read() as session:
        return list(session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance)
                                    .order_by(AuditEvent.seq)))


def post(api: Api, who: str, url: str, **body: Any) -> Any:
    return api.post(who, url, json=body)


def test_return_to_the_initiator_and_resubmit(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    review = flow.task(instance, "manager_review")
    response = post(api, "boss", f"/api/v1/tasks/{review['id']}/return", to="initiator", comment="receipt missing")
    assert response.status_code == 200, response.get_json()
    assert flow.elements(instance) == ["submit"]
    again = flow.task(instance, "submit")
    assert again["assignee"] == "clerk" and again["id"] != review["id"]
    assert flow.instance(instance)["variables"]["amount"] == 120
    assert "task.returned" in kinds(api, instance)
    flow.complete(again, {"amount": 90}, who="clerk")
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    assert flow.elements(instance) == ["finance_review"]
    history = api.get("clerk", f"/api/v1/process-instances/{instance}/history").get_json()
    returned = next(e for e in history["items"] if e["kind"] == "task.returned")
    assert returned["data"]["comment"] == "receipt missing" and returned["actor"] == "boss"


def test_return_to_previous_goes_to_who_did_it(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    finance = flow.task(instance, "finance_review")
    post(api, "fin", f"/api/v1/tasks/{finance['id']}/claim")
    response = post(api, "fin", f"/api/v1/tasks/{finance['id']}/return", to="previous", comment="check it")
    assert response.status_code == 200, response.get_json()
    assert flow.task(instance, "manager_review")["assignee"] == "boss"
    assert "finance_review" in flow.instance(instance)["visitedElements"]


def test_bad_returns_change_nothing(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    review = flow.task(instance, "manager_review")
    url = f"/api/v1/tasks/{review['id']}/return"
    for body, status, text in (({"to": "finance_review", "comment": "x"}, 400, "no completed user step"),
                               ({"to": "nowhere", "comment": "x"}, 400, "no completed user step"),
                               ({"to": "previous"}, 400, "needs a comment"),
                               ({"comment": "x"}, 400, "to must be")):
        response = post(api, "boss", url, **body)
        assert response.status_code == status and text in str(response.get_json()), response.get_json()
    assert post(api, "other", url, to="previous", comment="x").status_code == 403
    assert flow.elements(instance) == ["manager_review"]
    assert "task.returned" not in kinds(api, instance)


def test_withdraw_by_the_initiator_before_anyone_acted(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    assert post(api, "other", f"/api/v1/process-instances/{instance}/withdraw").status_code == 403
    response = post(api, "clerk", f"/api/v1/process-instances/{instance}/withdraw", comment="wrong amount")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outcome"] == "cancelled"
    assert flow.instance(instance)["status"] == "cancelled"
    assert "instance.withdrawn" in kinds(api, instance)


def test_withdraw_after_the_next_step_acted_is_refused(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    response = post(api, "clerk", f"/api/v1/process-instances/{instance}/withdraw")
    assert response.status_code == 409 and "already acted on" in str(response.get_json())
    assert flow.elements(instance) == ["finance_review"]
    # The approver takes back their own approval: the next step was untouched.
    response = post(api, "boss", f"/api/v1/process-instances/{instance}/withdraw", comment="too quick")
    assert response.status_code == 200 and response.get_json()["outcome"] == "reopened", response.get_json()
    assert flow.task(instance, "manager_review")["assignee"] == "boss"


def test_withdraw_races_the_next_approver(api: Api) -> None:
    """Both lock the instance: whichever comes second finds the other's effect and is refused."""
    flow = setup(api)
    instance = submitted(api, flow)
    review = flow.task(instance, "manager_review")
    assert post(api, "clerk", f"/api/v1/process-instances/{instance}/withdraw").status_code == 200
    flow.complete(review, {"managerDecision": "approve"}, who="boss", expect=409)


def test_admins_move_a_token(api: Api) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    url = f"/api/v1/process-instances/{instance}/modify"
    assert post(api, "clerk", url, cancel=["manager_review"], startBefore=["finance_review"]).status_code == 403
    response = post(api, "admin", url, cancel=["submit"], startBefore=["finance_review"])
    assert response.status_code == 400 and "not active" in str(response.get_json())
    response = post(api, "admin", url, cancel=["manager_review"], startBefore=["start"])
    assert response.status_code == 400 and "startEvent" in str(response.get_json())
    response = post(api, "admin", url, cancel=["manager_review"], startBefore=["finance_review"])
    assert response.status_code == 200, response.get_json()
    assert flow.elements(instance) == ["finance_review"]
    assert "instance.modified" in kinds(api, instance)


def test_a_token_moves_out_of_and_back_into_a_countersign(api: Api) -> None:
    """A multi-instance activity is one token: all its instances are cancelled, or created again."""
    for name in ("b1", "b2"):
        api.user(name, groups=("board",))
    api.user("starter")
    api.deploy("modeler", "approvals/countersign.bpmn")
    flow = Flow(api)
    instance = api.start("starter", "approval_all")["id"]
    url = f"/api/v1/process-instances/{instance}/modify"
    assert post(api, "admin", url, cancel=["approve"], startBefore=["proceed"]).status_code == 200
    assert flow.elements(instance) == ["proceed"]
    assert post(api, "admin", url, cancel=["proceed"], startBefore=["approve"]).status_code == 200
    assert sorted(t["assignee"] for t in flow.open(instance)["approve"]) == ["b1", "b2"]
    for task in flow.open(instance)["approve"]:
        flow.complete(task, {"approved": True}, who=task["assignee"])
    flow.complete(flow.task(instance, "proceed"), who="starter")
    assert flow.instance(instance)["status"] == "completed"
