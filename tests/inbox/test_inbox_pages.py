"""The inbox (tabs, counts, filters, sorting, paging) and the instance page, through a logged-in browser."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import update

from server.db import utcnow
from server.engine import store
from server.models import HumanTask
from tests.conftest import purchase_request_team

ROW = re.compile(r'<tr data-task-id="([^"]+)">\s*<td>\s*(?:<a [^>]*>)?([^<]+?)\s*<')


@pytest.fixture
def purchase(api: Any) -> Any:
    purchase_request_team(api)
    return api


def request(api: Any, amount: int, item: str = "Laptop") -> dict[str, Any]:
    return api.start("alice", "purchase_request", {"item": item, "amount": amount, "reason": "old one broke"},
                     businessKey=f"PR-{amount}")


def complete(api: Any, who: str, task_id: str, variables: dict[str, Any]) -> None:
    response = api.post(who, f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})
    assert response.status_code == 200, response.get_json()


def html(page: Any, status: int = 200) -> str:
    assert page.status_code == status, page.get_data(as_text=True)[:500]
    return page.get_data(as_text=True)


def rows(text: str) -> list[tuple[str, str]]:
    """(task id, task name) of each row, in page order."""
    return [(task_id, unescape(name)) for task_id, name in ROW.findall(text)]


def names(text: str) -> list[str]:
    return [name for _, name in rows(text)]


def count(text: str, tab: str) -> int:
    match = re.search(rf'data-testid="count-{tab}">([\d,]+)<', text)
    assert match, f"no count badge for {tab}"
    return int(match.group(1).replace(",", ""))


def set_due(api: Any, task_id: str, due: Any) -> None:
    with api.app.extensions["boms_db"].write() as session:
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))


def test_inbox_needs_a_login(api: Any) -> None:
    response = api.app.test_client().get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_tabs_and_counts_follow_the_purchase_request(purchase: Any, browser: Any) -> None:
    small, large = request(purchase, 1200), request(purchase, 8000)
    alice, mike, fiona = browser("alice"), browser("mike"), browser("fiona")

    groups = html(mike.get("/inbox?tab=groups"))
    assert names(groups) == ["Manager approval", "Manager approval"]
    assert (count(groups, "mine"), count(groups, "groups"), count(groups, "completed"), count(groups, "started")) \
        == (0, 2, 0, 0)
    assert "PR-1200" in groups and "PR-8000" in groups and "Purchase request" in groups
    mine = html(alice.get("/inbox?tab=groups"))
    assert names(mine) == [] and count(mine, "groups") == 0  # a manager's task is not alice's
    started = html(alice.get("/inbox?tab=started"))
    assert count(started, "started") == 2 and names(started) == ["Manager approval", "Manager approval"]
    # She may follow her requests, but not open the managers' task: the name is not a link.
    assert "task-link" not in started and f'/instances/{small["id"]}' in started

    [task_small] = small["openTasks"]
    assert purchase.post("mike", f"/api/v1/tasks/{task_small['id']}/claim").status_code == 200
    page = html(mike.get("/inbox"))
    assert names(page) == ["Manager approval"] and count(page, "mine") == 1 and count(page, "groups") == 1
    assert f'href="/tasks/{task_small["id"]}"' in page

    complete(purchase, "mike", large["openTasks"][0]["id"], {"managerDecision": "approve"})
    done = html(mike.get("/inbox?tab=completed"))
    assert count(done, "completed") == 1 and [t for t, _ in rows(done)] == [large["openTasks"][0]["id"]]
    assert names(html(fiona.get("/inbox?tab=groups"))) == ["Finance director approval"]
    started = html(alice.get("/inbox?tab=started"))
    assert sorted(names(started)) == ["Finance director approval", "Manager approval"]


def test_filter_by_process_and_search_text(purchase: Any, browser: Any) -> None:
    purchase.deploy("modeler", "bpmnio/simple.bpmn")
    request(purchase, 1200)
    purchase.start("alice", "bpmnio_simple", {}, businessKey="REV-7")
    mike = browser("mike")
    everything = html(mike.get("/inbox?tab=groups"))
    assert sorted(names(everything)) == ["Manager approval", "Review"]  # Review names nobody: any staff
    assert '<option value="bpmnio_simple"' in everything and '<option value="purchase_request"' in everything
    assert names(html(mike.get("/inbox?tab=groups&process=bpmnio_simple"))) == ["Review"]
    assert names(html(mike.get("/inbox?tab=groups&q=pr-12"))) == ["Manager approval"]  # business key, any case
    assert names(html(mike.get("/inbox?tab=groups&q=REVIEW"))) == ["Review"]  # task name
    assert names(html(mike.get("/inbox?tab=groups&q=bpmnio"))) == ["Review"]  # process key
    assert names(html(mike.get("/inbox?tab=groups&q=%25"))) == []  # a LIKE wildcard is matched literally
    filtered = html(mike.get("/inbox?tab=groups&q=review"))
    assert count(filtered, "groups") == 2  # badges count the whole tab
    assert "1 task matches the filter." in filtered


def test_search_by_variable_value(purchase: Any, browser: Any) -> None:
    purchase.deploy("modeler", "bpmnio/simple.bpmn")
    request(purchase, 8000, item="Laptop")
    request(purchase, 1200, item="Desk chair")
    purchase.start("alice", "bpmnio_simple", {"urgent": True, "amount": 8000.5}, businessKey="REV-1")
    purchase.start("alice", "bpmnio_simple", {"urgent": False, "amount": "8000"}, businessKey="REV-2")
    alice = browser("alice")

    def keys(query: str) -> list[str]:
        page = html(alice.get(f"/inbox?tab=started&sort=name&{query}"))
        return sorted(re.findall(r"<td>((?:PR|REV)-\d+)</td>", page))

    assert keys("var=amount&value=8000") == ["PR-8000", "REV-2"]  # the number and the string
    assert keys("var=amount&value=8000.5") == ["REV-1"]
    assert keys("var=item&value=Desk+chair") == ["PR-1200"]
    assert keys("var=item&value=desk+chair") == []  # values match exactly
    assert keys("var=route&value=finance") == ["PR-8000"]  # set by the decision table, not the form
    assert keys("var=urgent&value=true") == ["REV-1"]
    assert keys("var=urgent&value=false") == ["REV-2"]
    assert keys("var=urgent") == ["REV-1", "REV-2"]  # a name alone: the variable is set
    assert keys("var=nothing&value=1") == []
    assert len(keys("var=bad'name&value=1")) == 4  # not a variable name: the filter is ignored
    assert keys("var=amount&value=8000&process=purchase_request") == ["PR-8000"]


def test_sorting_by_due_name_and_created(purchase: Any, browser: Any) -> None:
    tasks = [request(purchase, amount)["openTasks"][0]["id"] for amount in (100, 200, 300)]
    now = utcnow()
    set_due(purchase, tasks[0], now + timedelta(days=5))
    set_due(purchase, tasks[1], None)
    set_due(purchase, tasks[2], now + timedelta(days=1))
    mike = browser("mike")

    def order(query: str) -> list[str]:
        return [task_id for task_id, _ in rows(html(mike.get(f"/inbox?tab=groups&{query}")))]

    assert order("sort=due&dir=asc") == [tasks[2], tasks[0], tasks[1]]  # no due date goes last
    assert order("sort=due&dir=desc") == [tasks[0], tasks[2], tasks[1]]
    assert order("sort=created&dir=asc") == tasks
    assert order("sort=created&dir=desc") == tasks[::-1]
    assert order("sort=bogus") == tasks[::-1]  # unknown: newest first
    page = html(mike.get("/inbox?tab=groups&sort=due&dir=asc"))
    assert 'aria-sort="ascending"' in page and "sort=due&amp;dir=desc" in page  # the header flips the order


def test_paging_shows_25_per_page(api: Any, browser: Any) -> None:
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "bpmnio/simple.bpmn")
    for n in range(30):
        api.start("alice", "bpmnio_simple", {}, businessKey=f"REV-{n:02d}")
    alice = browser("alice")
    first = html(alice.get("/inbox?tab=started&sort=created&dir=asc"))
    assert len(rows(first)) == 25 and count(first, "started") == 30
    assert "REV-00" in first and "REV-24" in first and "REV-25" not in first
    assert "Page 1 of 2" in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_link and "page=2" in next_link.group(1)
    second = html(alice.get(unescape(next_link.group(1))))
    assert len(rows(second)) == 5 and "REV-29" in second and "REV-00" not in second
    prev_link = re.search(r'rel="prev" href="([^"]+)"', second)
    assert prev_link and "page=" not in prev_link.group(1).replace("page=1", "")
    assert len(rows(html(alice.get("/inbox?tab=started&page=99")))) == 5  # past the end: the last page
    assert len(rows(html(alice.get("/inbox?tab=started&page=x")))) == 25


def test_overdue_tasks_are_marked(purchase: Any, browser: Any) -> None:
    late, on_time = (request(purchase, amount)["openTasks"][0]["id"] for amount in (100, 200))
    set_due(purchase, late, utcnow() - timedelta(hours=2))
    page = html(browser("mike").get("/inbox?tab=groups"))
    cells = dict(re.findall(r'<tr data-task-id="([^"]+)">.*?<td class="text-nowrap( overdue)?">\s*\S', page, re.S))
    assert set(cells) == {late, on_time}
    assert re.search(rf'data-task-id="{late}">(?:(?!</tr>).)*class="text-nowrap overdue"', page, re.S)
    assert not re.search(rf'data-task-id="{on_time}">(?:(?!</tr>).)*overdue', page, re.S)
    # The time left, in words: the demo's manager approval is due in 3 days.
    assert re.search(rf'data-task-id="{late}">(?:(?!</tr>).)*data-testid="time-left">2 hours overdue<', page, re.S)
    assert re.search(rf'data-task-id="{on_time}">(?:(?!</tr>).)*data-testid="time-left">3 days left<', page, re.S)
    zh = html(browser("mike").get(f"/tasks/{late}", headers={"Accept-Language": "zh-CN"}))
    assert re.search(r'data-testid="time-left">已超期 2\s*小时<', zh), zh[:200]


def test_pages_never_load_a_workflow(purchase: Any, browser: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = request(purchase, 8000)
    mike = browser("mike")

    def refuse(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("a page deserialized a workflow")

    monkeypatch.setattr(store, "load", refuse)
    for tab in ("mine", "groups", "completed", "started"):
        html(mike.get(f"/inbox?tab={tab}&var=amount&value=8000&q=pr"))
    html(mike.get(f"/instances/{instance['id']}"))


def diagram(text: str) -> dict[str, Any]:
    match = re.search(r'<div class="diagram[^"]*"([^>]*)>', text)
    assert match, "no diagram on the page"
    attrs = dict(re.findall(r"data-([a-z-]+)=(?:'([^']*)'|\"[^\"]*\")", match.group(1)))
    url = re.search(r'data-xml-url="([^"]+)"', match.group(1))
    return {"url": url.group(1) if url else None,
            **{k: json.loads(unescape(v)) for k, v in attrs.items() if k in ("completed", "active", "taken")}}


def test_instance_page_for_participants(purchase: Any, browser: Any) -> None:
    instance = request(purchase, 8000)
    complete(purchase, "mike", instance["openTasks"][0]["id"], {"managerDecision": "approve",
                                                               "managerComment": "Fine, it is <old>."})
    url = f"/instances/{instance['id']}"
    for who in ("alice", "mike", "fiona", "auditor"):
        html(browser(who).get(url))
    page = html(browser("alice").get(url))
    assert "PR-8000" in page and 'data-testid="started-by">alice<' in page
    assert 'data-testid="status">running<' in page
    marks = diagram(page)
    assert marks["url"] == f"{url}/diagram.xml"
    assert marks["active"] == ["finance_approval"]
    assert marks["completed"] == ["determine_route", "gw_manager_decision", "gw_route", "manager_approval",
                                  "start_requested"]
    assert marks["taken"] == ["flow_manager_to_gw", "flow_mgr_approved_finance", "flow_route_to_gw",
                              "flow_route_to_manager", "flow_start_to_route"]  # not yet the flow out of the open task
    # Script files only, no inline script: the markers travel in data attributes.
    assert "diagram.js" in page and "bpmn-navigated-viewer.production.min.js" in page
    assert not re.search(r"<script>(?!\s*</script>)", page)
    open_tasks = page.split('data-testid="open-tasks"')[1].split("</ul>")[0]
    assert "Finance director approval" in open_tasks and "Waiting for finance" in open_tasks
    variables = page.split('data-testid="variables"')[1].split("</table>")[0]
    assert "route" in variables and "finance" in variables and "8,000" in variables


def test_instance_page_refuses_others(purchase: Any, browser: Any) -> None:
    instance = request(purchase, 1200)  # the manager route: fiona never gets a task
    url = f"/instances/{instance['id']}"
    fiona = browser("fiona")
    assert "You may not see this process instance." in html(fiona.get(url), 403)
    assert fiona.get(f"{url}/diagram.xml").status_code == 403
    assert "does not exist" in html(fiona.get("/instances/nope"), 404)
    assert fiona.get("/instances/nope/diagram.xml").status_code == 404
    assert api_anonymous(purchase, url).status_code == 302


def api_anonymous(api: Any, url: str) -> Any:
    return api.app.test_client().get(url)


def test_diagram_xml_is_the_versions_model(purchase: Any, browser: Any) -> None:
    instance = request(purchase, 1200)
    response = browser("alice").get(f"/instances/{instance['id']}/diagram.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    assert 'id="purchase_request"' in body and "bpmndi:BPMNDiagram" in body
    assert "private" in response.headers["Cache-Control"]


def test_history_shows_who_did_what_and_the_decisions(purchase: Any, browser: Any) -> None:
    instance = request(purchase, 8000)
    complete(purchase, "mike", instance["openTasks"][0]["id"], {"managerDecision": "approve",
                                                               "managerComment": "Fine, it is <old>."})
    [finance] = purchase.open_tasks("fiona")
    complete(purchase, "fiona", finance["id"], {"financeDecision": "reject", "financeComment": "No budget"})
    page = html(browser("alice").get(f"/instances/{instance['id']}"))
    history = page.split('data-testid="history"')[1].split("</ol>")[0]
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history)))
    expected = [
        "Process started by alice (PR-8000)",
        "Rule table approval_route decided at Determine approval route", "route finance",
        "Task created: Manager approval · for managers",
        "Task completed: Manager approval by mike", "Decision Approve", "Fine, it is <old>.",
        "Decision at Manager decision?: continued to Finance director approval",
        "Task completed: Finance director approval by fiona", "Decision Reject", "No budget",
        "Decision at Finance decision?: continued to Rejection notice (finance)",
    ]
    positions = [text.find(fragment) for fragment in expected]
    assert -1 not in positions, [f for f, p in zip(expected, positions, strict=True) if p == -1]
    assert positions == sorted(positions)  # oldest first
    assert "Fine, it is &lt;old&gt;." in page  # submitted text is escaped
    assert "Amount 8,000" in text and "Item Laptop" in text  # the start form's labels


def endpoint_or_skip(api: Any, name: str) -> None:
    if name not in api.app.view_functions:
        pytest.skip(f"{name} is not implemented yet (server/inbox/task.py)")


def test_claim_and_unclaim_in_one_click(purchase: Any, browser: Any) -> None:
    endpoint_or_skip(purchase, "inbox.claim_task")
    endpoint_or_skip(purchase, "inbox.unclaim_task")
    [task] = request(purchase, 1200)["openTasks"]
    mike = browser("mike")
    page = html(mike.get("/inbox?tab=groups"))
    assert f'action="/tasks/{task["id"]}/claim"' in page
    response = mike.post(f"/tasks/{task['id']}/claim", from_page="/inbox?tab=groups")
    assert response.status_code in (200, 302, 303)
    page = html(mike.get("/inbox"))
    assert names(page) == ["Manager approval"] and f'action="/tasks/{task["id"]}/unclaim"' in page
    # The manager's task has a form: no one-click completion.
    assert f'action="/tasks/{task["id"]}/complete"' not in page
    assert mike.post(f"/tasks/{task['id']}/unclaim", from_page="/inbox").status_code in (200, 302, 303)
    assert count(html(mike.get("/inbox")), "mine") == 0


def test_complete_in_one_click_without_a_form(api: Any, browser: Any) -> None:
    endpoint_or_skip(api, "inbox.complete_task")
    api.user("alice", groups=("employees",))
    api.deploy("modeler", "bpmnio/simple.bpmn")
    instance = api.start("alice", "bpmnio_simple", {}, businessKey="REV-1")
    [task] = instance["openTasks"]
    alice = browser("alice")
    page = html(alice.get("/inbox?tab=groups"))
    assert f'action="/tasks/{task["id"]}/complete"' in page
    assert alice.post(f"/tasks/{task['id']}/complete", from_page="/inbox?tab=groups").status_code in (200, 302, 303)
    page = html(alice.get("/inbox?tab=completed"))
    assert count(page, "completed") == 1 and names(page) == ["Review"]


def test_buttons_need_the_action_endpoints(purchase: Any, browser: Any) -> None:
    """Without the task page's endpoints the inbox still renders, just without buttons."""
    [task] = request(purchase, 1200)["openTasks"]
    page = html(browser("mike").get("/inbox?tab=groups"))
    claim = f'action="/tasks/{task["id"]}/claim"'
    assert (claim in page) == ("inbox.claim_task" in purchase.app.view_functions)
    assert 'name="csrf_token"' in page


def test_readers_of_everything_see_only_their_groups_tab(purchase: Any, browser: Any) -> None:
    request(purchase, 1200)
    page = html(browser("auditor").get("/inbox?tab=groups"))
    assert count(page, "groups") == 0 and names(page) == []


def test_groups_tab_is_task_visibility_for_unassigned_tasks(purchase: Any) -> None:
    """The tab's query is tuned for the planners; it must still mean exactly what permissions say."""
    from dataclasses import replace

    from sqlalchemy import select

    from server.auth.permissions import Principal, task_visibility
    from server.services.inbox import tab_clauses

    purchase.deploy("modeler", "bpmnio/simple.bpmn", "camunda/assignment.bpmn")
    request(purchase, 1200)
    purchase.start("alice", "bpmnio_simple", {})
    flow = purchase.start("alice", "assignment", {"group": "finance", "due": "2030-01-01T00:00:00Z"})
    complete(purchase, "alice", flow["openTasks"][0]["id"], {})  # assigned to her
    [groups_task] = purchase.open_tasks("mike", instanceId=flow["id"])
    complete(purchase, "mike", groups_task["id"], {})  # now one for candidate users alice and bob
    staff = Principal(1, "bob", frozenset({"staff"}), frozenset({"managers", "finance"}))
    people = [staff, replace(staff, username="alice", groups=frozenset({"employees"})),
              replace(staff, roles=frozenset({"modeler"})), replace(staff, groups=frozenset())]
    with purchase.app.extensions["boms_db"].read() as session:
        def ids(*clauses: Any) -> set[str]:
            return set(session.scalars(select(HumanTask.id).where(*clauses)))

        unassigned_open = (HumanTask.status == "open", HumanTask.assignee.is_(None))
        assert ids(*unassigned_open)
        for who in people:
            assert ids(*tab_clauses(session, who, "groups")) == ids(*unassigned_open, task_visibility(who)), who
        # Readers of everything: only what they would see as a member of their groups.
        for roles in ({"admin"}, {"auditor"}, {"auditor", "staff"}):
            reader = replace(staff, roles=frozenset(roles))
            member = replace(staff, roles=frozenset({"staff"} if roles & {"admin", "staff"} else set()))
            assert ids(*tab_clauses(session, reader, "groups")) == ids(*unassigned_open, task_visibility(member))
