"""The task page and the start page through the Flask test client (CSRF on)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from server.errors import EngineError
from tests.conftest import purchase_request_team

START = "/start/purchase_request"


@pytest.fixture
def people(api: Any) -> Any:
    api.user("olga", groups=("warehouse",))
    return purchase_request_team(api)


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
    # Read-only values are shown in the reader's number format, not as an input to change.
    assert re.search(r'data-testid="readonly-value">8,000(\.00)?<', page) and 'name="amount"' not in page
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
    for snippet in ('type="number"', 'type="checkbox"', 'type="date"', 'type="radio"', 'minlength="3"', 'max="100"',
                    'placeholder="A short title"', 'value="REF-001"'):
        assert snippet in html, snippet
    # The colour's default is chosen; three options are radio buttons, not a drop-down.
    assert 'type="radio" name="color"' in html and re.search(r'value="green"\s+checked', html)


def test_after_completing_the_next_task_of_the_same_user_opens(api: Any, browser: Any) -> None:
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "camunda/all_form_types.bpmn")
    alice = browser("alice")
    started = alice.post("/start/forms", {})
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]  # the form task is hers to take


def test_completing_twice_is_a_conflict_back_to_the_inbox(people: Any, browser: Any) -> None:
    start(browser, "100")
    task = manager_task(people)
    mike, url = browser("mike"), f"/tasks/{task['id']}"
    assert mike.post(f"{url}/complete", {"managerDecision": "approve"}, from_page=url).status_code == 302
    again = mike.post(f"{url}/complete", {"managerDecision": "approve"}, from_page="/inbox")
    assert again.status_code == 302 and again.headers["Location"].endswith("/inbox")
    assert "already completed" in mike.get("/inbox").get_data(as_text=True)


def test_engine_failure_is_recorded_and_shown(people: Any, browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    start(browser, "100")
    task = manager_task(people)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise EngineError("no outgoing flow matched", element="manager_approval")

    monkeypatch.setattr(people.app.extensions["boms_runner"], "complete_task", fail)
    url = f"/tasks/{task['id']}"
    response = browser("mike").post(f"{url}/complete", {"managerDecision": "approve", "managerComment": "fine"},
                                    from_page=url)
    html = response.get_data(as_text=True)
    # The page says what happened in the reader's words; the engine's own text is in the history.
    assert response.status_code == 422 and "could not continue at step “manager_approval”" in html
    assert ">no outgoing flow matched<" not in html.split('data-testid="history"')[0] and ">fine</textarea>" in html
    events = people.get("admin", "/api/v1/audit", query_string={"kind": "instance.step_failed"}).get_json()
    assert [(e["taskId"], e["data"]["message"]) for e in events["items"]] == [(task["id"], "no outgoing flow matched")]
    assert people.get("mike", f"/api/v1/tasks/{task['id']}").get_json()["status"] == "open"


def test_claim_and_unclaim_go_back_where_the_user_was(people: Any, browser: Any) -> None:
    start(browser, "100")
    task = manager_task(people)
    mike, url = browser("mike"), f"/tasks/{task['id']}"
    claimed = mike.post(f"{url}/claim", {}, from_page=url, headers={"Referer": "http://localhost/inbox?tab=group"})
    assert claimed.headers["Location"] == "/inbox?tab=group"
    page = mike.get(url).get_data(as_text=True)
    assert "Unclaim" in page and "The task is yours now." in page
    # A referrer on another site is not followed: back to the task page instead.
    unclaimed = mike.post(f"{url}/unclaim", {}, from_page=url, headers={"Referer": "https://evil.example/x"})
    assert unclaimed.headers["Location"] == url
    assert people.get("mike", url.replace("/tasks", "/api/v1/tasks")).get_json()["assignee"] is None


def test_task_page_shows_the_instance_beside_the_form(people: Any, browser: Any) -> None:
    start(browser, "8000")
    task = manager_task(people)
    page = browser("mike").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "PR-8000" in page and "Purchase request" in page and f"/instances/{task['instanceId']}" in page
    assert "Laptop" in page and "old one broke" in page  # the key data table
    assert 'name="managerDecision" value="reject"' in page and "btn-danger" in page and "btn-success" in page


def test_unknown_task_or_process_is_404(people: Any, browser: Any) -> None:
    alice = browser("alice")
    assert alice.get("/tasks/no-such-task").status_code == 404
    assert alice.get("/start/no_such_process").status_code == 404


def test_start_list_leaves_out_what_the_user_may_not_start(people: Any, browser: Any, tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "fixtures" / "camunda" / "all_form_types.bpmn").read_text()
    restricted = tmp_path / "finance_only.bpmn"
    restricted.write_text(source.replace(
        'id="forms" name="All form field types"',
        'id="finance_only" name="Finance only" camunda:candidateStarterGroups="finance"'))
    people.deploy("modeler", restricted)
    assert 'data-key="finance_only"' not in browser("alice").get("/start").get_data(as_text=True)
    assert 'data-key="finance_only"' in browser("fiona").get("/start").get_data(as_text=True)
    assert browser("alice").get("/start/finance_only").status_code == 403
