"""The task page and the start page through the Flask test client (CSRF on)."""

from __future__ import annotations

from typing import Any

import pytest

START = "/start/purchase_request"


@pytest.fixture
def people(api: Any) -> Any:
    api.user("fiona", groups=("finance",))
    api.user("mike", groups=("managers",), manager="fiona")
    api.user("alice", groups=("employees",), manager="mike")
    api.user("olga", groups=("warehouse",))
    api.deploy("modeler", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    return api


def start(browser: Any, amount: str) -> Any:
    alice = browser("alice")
    return alice, alice.post(START, {"item": "Laptop", "amount": amount, "reason": "old one broke",
                                     "businessKey": f"PR-{amount}"})


def manager_task(api: Any) -> dict[str, Any]:
    [task] = api.open_tasks("mike", candidateGroup="managers")
    return task


def test_start_page_lists_what_the_user_may_start(people: Any, browser: Any) -> None:
    html = browser("alice").get("/start").get_data(as_text=True)
    assert 'data-key="purchase_request"' in html and "Purchase request" in html
    form = browser("alice").get(START).get_data(as_text=True)
    for name in ("item", "amount", "reason", "businessKey"):
        assert f'name="{name}"' in form


def test_invalid_start_keeps_what_was_typed(people: Any, browser: Any) -> None:
    _, response = start(browser, "lots")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is-invalid" in html and "must be an integer" in html
    assert 'value="Laptop"' in html and 'value="lots"' in html
    assert people.get("admin", "/api/v1/process-instances").get_json()["total"] == 0


def test_the_whole_purchase_request_in_pages(people: Any, browser: Any) -> None:
    _, response = start(browser, "8000")
    assert response.status_code == 302 and "/instances/" in response.headers["Location"]
    task = manager_task(people)
    mike = browser("mike")
    page = mike.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Claim" in page and 'name="managerDecision" value="approve"' in page
    assert mike.post(f"/tasks/{task['id']}/claim", {}, from_page=f"/tasks/{task['id']}").status_code == 302
    assert people.get("mike", f"/api/v1/tasks/{task['id']}").get_json()["assignee"] == "mike"

    too_long = mike.post(f"/tasks/{task['id']}/complete", {"managerDecision": "approve",
                                                          "managerComment": "x" * 600},
                         from_page=f"/tasks/{task['id']}")
    assert too_long.status_code == 422
    assert "at most 500 characters" in too_long.get_data(as_text=True)
    done = mike.post(f"/tasks/{task['id']}/complete", {"managerDecision": "approve", "managerComment": "ok"},
                     from_page=f"/tasks/{task['id']}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")

    [finance] = people.open_tasks("fiona")
    page = browser("fiona").get(f"/tasks/{finance['id']}").get_data(as_text=True)
    assert 'value="8000"' in page and "readonly" in page
    fiona = browser("fiona")
    rejected = fiona.post(f"/tasks/{finance['id']}/complete", {"financeDecision": "reject",
                                                              "financeComment": "over budget"},
                          from_page=f"/tasks/{finance['id']}")
    assert rejected.status_code == 302
    [notice] = people.open_tasks("alice", assignee="me")
    assert notice["elementId"] == "finance_rejection_notice"


def test_other_groups_get_403_by_url(people: Any, browser: Any) -> None:
    start(browser, "100")
    task = manager_task(people)
    olga = browser("olga")
    assert olga.get(f"/tasks/{task['id']}").status_code == 403
    page = browser("mike").get(f"/tasks/{task['id']}").get_data(as_text=True)
    token = olga.csrf(olga.get("/inbox").get_data(as_text=True))
    for action in ("claim", "complete"):
        response = olga.client.post(f"/tasks/{task['id']}/{action}", data={"csrf_token": token,
                                                                          "managerDecision": "approve"})
        assert response.status_code == 403
    assert "managerDecision" in page
    assert people.get("mike", f"/api/v1/tasks/{task['id']}").get_json()["status"] == "open"


def test_missing_csrf_token_is_400(people: Any, browser: Any) -> None:
    start(browser, "100")
    task = manager_task(people)
    mike = browser("mike")
    assert mike.client.post(f"/tasks/{task['id']}/claim").status_code == 400
    assert mike.client.post(START, data={"item": "x"}).status_code == 400


def test_every_widget_renders(api: Any, browser: Any) -> None:
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "camunda/all_form_types.bpmn")
    instance = api.start("alice", "forms")
    [task] = instance["openTasks"]
    html = browser("alice").get(f"/tasks/{task['id']}").get_data(as_text=True)
    for snippet in ('type="number"', 'type="checkbox"', 'type="date"', "<select", 'minlength="3"', 'max="100"'):
        assert snippet in html, snippet
