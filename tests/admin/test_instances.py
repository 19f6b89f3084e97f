"""Process instances: filters, bulk operations with per-instance failures, the instance page, variables,
incidents and retry, migration."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

from tests.admin.conftest import flashes, start_purchase
from tests.conftest import FIXTURES, Api, run_due_jobs
from tests.connectors.conftest import LocalServer, Reply


def listed(browser: Any, **params: Any) -> set[str]:
    html = browser.get("/admin/instances/", query_string=params).get_data(as_text=True)
    return set(re.findall(r'data-instance="([^"]+)"', html))


def status(team: Api, instance_id: str) -> dict[str, Any]:
    return team.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()


def test_filters_by_model_status_key_starter_dates_and_variable_value(team: Api, web: Any) -> None:
    cheap = start_purchase(team, amount=800, key="PR-1")
    dear = start_purchase(team, amount=8000, key="PR-2")
    team.user("bob", groups=("employees",), manager="mike")
    bobs = start_purchase(team, "bob", amount=800, key="PR-3")
    team.post("admin", f"/api/v1/process-instances/{bobs}/cancel", json={})
    browser = web("auditor")
    assert listed(browser) == {cheap, dear, bobs}
    assert listed(browser, key="purchase_request", version="1") == {cheap, dear, bobs}
    assert listed(browser, version="2") == set()
    assert listed(browser, status="cancelled") == {bobs}
    assert listed(browser, business_key="PR-2") == {dear}
    assert listed(browser, started_by="alice") == {cheap, dear}
    assert listed(browser, var="amount", value="8000") == {dear}
    assert listed(browser, var="amount", value="800") == {cheap, bobs}
    assert listed(browser, var="item", value="Laptop") == {cheap, dear, bobs}
    assert listed(browser, var="nothing") == set()
    assert listed(browser, started_from="2000-01-01", started_to="2999-12-31") == {cheap, dear, bobs}
    assert listed(browser, started_to="2000-01-01") == set()
    # Edited URLs: named and ignored, never a 500.
    response = browser.get("/admin/instances/", query_string={"status": "nope", "var": "a.b", "started_from": "x",
                                                               "version": "v", "page": "99"})
    assert response.status_code == 200
    texts = " ".join(t for _k, t in flashes(response.get_data(as_text=True)))
    assert "status must be one of" in texts and "variable name" in texts and "started from" in texts
    assert "version must be a number" in texts


def bulk(browser: Any, action: str, ids: list[str]) -> list[tuple[str, str]]:
    response = browser.post("/admin/instances/bulk", {"action": action, "ids": ids}, from_page="/admin/instances/",
                            follow_redirects=True)
    assert response.status_code == 200
    return flashes(response.get_data(as_text=True))


def test_bulk_suspend_resume_cancel_report_each_failure(team: Api, web: Any) -> None:
    first, second = start_purchase(team, key="PR-1"), start_purchase(team, key="PR-2")
    browser = web("admin")
    assert bulk(browser, "suspend", [first, second]) == [("success", "2 instance(s) suspended.")]
    assert {status(team, i)["status"] for i in (first, second)} == {"suspended"}
    assert bulk(browser, "resume", [first]) == [("success", "1 instance(s) resumed.")]
    messages = bulk(browser, "suspend", [first, second, "no-such-id"])
    assert messages[0] == ("success", "1 instance(s) suspended.")
    failed = dict(text.split(": ", 1) for kind, text in messages[1:] if kind == "danger")
    assert set(failed) == {second, "no-such-id"}
    assert "does not exist" in failed["no-such-id"]
    assert bulk(browser, "cancel", [first]) == [("success", "1 instance(s) cancelled.")]
    assert status(team, first)["status"] == "cancelled"
    assert bulk(browser, "explode", [first])[0][0] == "danger"
    assert bulk(browser, "cancel", [])[0] == ("warning", "Select between 1 and 500 instances.")


def test_bulk_migrate_to_latest(team: Api, web: Any, tmp_path: Path) -> None:
    team.deploy("modeler", "camunda/two_user_tasks.bpmn")
    first, second = (team.start("alice", "two_tasks")["id"] for _ in range(2))
    source = (FIXTURES / "camunda/two_user_tasks.bpmn").read_text().replace('name="Second"', 'name="Second (v2)"')
    (tmp_path / "two_user_tasks.bpmn").write_text(source)
    team.deploy("modeler", tmp_path / "two_user_tasks.bpmn")
    browser = web("admin")
    assert bulk(browser, "migrate", [first, second]) == [("success", "2 instance(s) migrated to the latest version.")]
    assert {status(team, i)["processVersion"] for i in (first, second)} == {2}
    html = browser.get(f"/admin/instances/{first}").get_data(as_text=True)
    assert "instance.migrated" in html


def test_instance_page_shows_diagram_markers_variables_timeline_and_tasks(team: Api, web: Any) -> None:
    instance_id = start_purchase(team, amount=800)
    body = team.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()
    html = web("auditor").get(f"/admin/instances/{instance_id}").get_data(as_text=True)
    diagram = re.search(r'<div class="diagram[^>]*>', html, re.S).group(0)  # type: ignore[union-attr]
    attribute = {k: unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', diagram)}
    assert attribute["xml-url"] == f"/instances/{instance_id}/diagram.xml"
    active, completed = json.loads(attribute["active"]), json.loads(attribute["completed"])
    assert active == body["activeElements"] and active
    assert completed and not set(active) & set(completed)
    assert set(completed) <= set(body["visitedElements"])
    taken = json.loads(attribute["taken"])
    assert taken and set(taken) <= set(body["visitedElements"])
    assert json.loads(attribute["errored"]) == []
    assert 'data-testid="variables"' in html and "Laptop" in html
    assert "instance.started" in html and "task.created" in html  # the timeline
    assert body["openTasks"][0]["name"] in html
    # Read-only for the auditor: no forms that change anything.
    assert "/operate" not in html and "/variables" not in html and "/reassign" not in html
    xml = web("auditor").get(attribute["xml-url"])
    assert xml.status_code == 200 and b"purchase_request" in xml.data


def test_admin_sets_a_variable_and_sees_its_history(team: Api, web: Any) -> None:
    instance_id = start_purchase(team, amount=800)
    browser = web("admin")
    page = f"/admin/instances/{instance_id}"
    response = browser.post(f"{page}/variables", {"name": "amount", "value": "950"}, from_page=page,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "Variable amount set to 950.")]
    assert status(team, instance_id)["variables"]["amount"] == 950
    html = browser.get(page).get_data(as_text=True)
    history = html[html.index('data-testid="variable-history"'):]
    history = history[:history.index("</table>")]
    rows = [re.sub(r"<[^>]+>", " ", row).split() for row in re.findall(r"<tr>(.*?)</tr>", history, re.S)]
    amount = [row for row in rows if "amount" in row]
    assert amount[0][-4:] == ["started", "amount", "null", "800"]
    assert amount[-1][-7:] == ["changed", "by", "an", "admin", "amount", "800", "950"]
    assert len(amount) == 2
    response = browser.post(f"{page}/variables", {"name": "bad name", "value": "1"}, from_page=page,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True))[0][0] == "danger"


def test_incident_fixed_by_a_variable_then_retried(app: Any, team: Api, web: Any,
                                                   local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(200, {"state": "confirmed"}))
    team.deploy("modeler", "service/camunda_connector.bpmn")
    instance_id = team.start("alice", "order_lookup", {"baseUrl": local_server.url, "orderId": 7})["id"]
    run_due_jobs(app)
    assert status(team, instance_id)["status"] == "error"
    browser = web("admin")
    assert instance_id in listed(browser, status="error")
    page = f"/admin/instances/{instance_id}"
    html = browser.get(page).get_data(as_text=True)
    assert 'data-testid="incident"' in html and "fetch_order" in html and "quantity" in html
    assert 'data-errored="[&#34;fetch_order&#34;]"' in html
    browser.post(f"{page}/variables", {"name": "quantity", "value": "2"}, from_page=page)
    browser.post(f"{page}/variables", {"name": "note", "value": "rush"}, from_page=page)
    response = browser.post(f"{page}/operate", {"action": "retry"}, from_page=page, follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "Instance retried.")]
    run_due_jobs(app)
    body = status(team, instance_id)
    assert body["status"] == "running" and body["variables"]["orderState"] == "confirmed"
    assert local_server.requests_to("/orders/7")[0].json()["quantity"] == 4


def test_refused_operation_is_shown_not_raised(team: Api, web: Any) -> None:
    instance_id = start_purchase(team)
    browser = web("admin")
    page = f"/admin/instances/{instance_id}"
    response = browser.post(f"{page}/operate", {"action": "retry"}, from_page=page, follow_redirects=True)
    (kind, text), = flashes(response.get_data(as_text=True))
    assert kind == "danger" and text.startswith("Not retried:")
    response = browser.post(f"{page}/operate", {"action": "migrate", "version_id": "x"}, from_page=page,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True))[0][0] == "danger"
    assert status(team, instance_id)["status"] == "running"
