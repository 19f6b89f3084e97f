"""The approval buttons on the task and instance pages and the inbox's batch approval (CSRF, en/zh)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.engine.flow import Flow
from tests.engine.test_task_return import setup, submitted


def page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_task_page_shows_what_the_step_allows_and_sends_back(api: Api, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    boss = browser("boss")
    text = page(boss.get(f"/tasks/{task['id']}"))
    for action in ("return", "transfer", "delegate", "add_signers", "cc"):
        assert f'data-testid="action-{action}"' in text
    assert 'data-testid="action-resolve"' not in text
    # Without the CSRF token the form is refused.
    assert boss.client.post(f"/tasks/{task['id']}/approval/return", data={"to": "previous"}).status_code == 400
    response = boss.post(f"/tasks/{task['id']}/approval/return", {"to": "initiator"}, from_page=f"/tasks/{task['id']}")
    assert response.status_code == 302  # no comment: refused, back to the task
    assert flow.elements(instance) == ["manager_review"]
    response = boss.post(f"/tasks/{task['id']}/approval/return", {"to": "initiator", "comment": "receipt"},
                         from_page=f"/tasks/{task['id']}", follow_redirects=True)
    assert "The task was sent back." in page(response)
    assert flow.elements(instance) == ["submit"]
    history = page(browser("clerk").get(f"/instances/{instance}"))
    assert "boss sent the request back to Submit the claim" in history and "receipt" in history


def test_delegation_on_the_pages_in_chinese(api: Api, browser: Any) -> None:
    flow = setup(api)
    api.user("helper")
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    boss = browser("boss")
    url = f"/tasks/{task['id']}"
    boss.post(f"{url}/approval/delegate", {"user": "helper"}, from_page=url)
    helper = browser("helper")
    text = page(helper.get(url, headers={"Accept-Language": "zh-CN"}))
    assert 'data-testid="action-resolve"' in text and "交还" in text
    helper.post(f"{url}/approval/resolve", {}, from_page=url)
    assert flow.task(instance, "manager_review")["assignee"] == "boss"
    refused = boss.post(f"{url}/approval/transfer", {"user": "ghost"}, from_page=url, follow_redirects=True,
                        headers={"Accept-Language": "zh-CN"})
    assert "请选择" in page(refused)


def test_cc_tab_withdraw_and_urge_on_the_pages(api: Api, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    boss = browser("boss")
    boss.post(f"/tasks/{task['id']}/approval/cc", {"users": "other"}, from_page=f"/tasks/{task['id']}")
    other = page(browser("other").get("/inbox?tab=cc"))
    assert task["id"] in other and 'data-testid="count-cc">1<' in other
    clerk = browser("clerk")
    text = page(clerk.get(f"/instances/{instance}"))
    assert f'data-testid="urge-{task["id"]}"' in text and 'data-testid="withdraw"' in text
    done = clerk.post(f"/tasks/{task['id']}/approval/urge", {"next": f"/instances/{instance}"},
                      from_page=f"/instances/{instance}", follow_redirects=True)
    assert "A reminder was sent." in page(done)
    done = clerk.post(f"/instances/{instance}/withdraw", {}, from_page=f"/instances/{instance}", follow_redirects=True)
    assert "The request was withdrawn." in page(done)
    assert flow.instance(instance)["status"] == "cancelled"


def test_batch_approval_from_the_inbox(api: Api, browser: Any) -> None:
    flow: Flow = setup(api)
    first, second = submitted(api, flow), submitted(api, flow)
    ids = [flow.task(first, "manager_review")["id"], flow.task(second, "manager_review")["id"]]
    boss = browser("boss")
    text = page(boss.get("/inbox"))
    assert all(f'data-testid="select-{i}"' in text for i in ids) and 'data-testid="batch-approve"' in text
    page_token = boss.csrf(text)
    response = boss.client.post("/inbox/batch", data={"task": ids, "decision": "approve", "csrf_token": page_token},
                                follow_redirects=True)
    assert "2 of 2 tasks completed." in page(response)
    assert flow.elements(first) == flow.elements(second) == ["finance_review"]


def test_out_of_office_page(api: Api, browser: Any) -> None:
    setup(api)
    api.user("deputy")
    boss = browser("boss")
    assert "外出代理" in page(boss.get("/substitute", headers={"Accept-Language": "zh-CN"}))
    done = boss.post("/substitute", {"user": "deputy", "from": "2026-12-01", "until": "2026-12-31"},
                     follow_redirects=True)
    assert 'data-testid="current-substitute"' in page(done) and "deputy" in page(done)
    refused = boss.post("/substitute", {"user": "boss", "from": "2026-12-01", "until": "2026-12-31"},
                        follow_redirects=True)
    assert "Choose an active user other than yourself." in page(refused)
    cleared = boss.post("/substitute", {"clear": "1"}, follow_redirects=True)
    assert 'data-testid="current-substitute"' not in page(cleared)


def test_signers_beside_on_the_pages_in_chinese(api: Api, browser: Any) -> None:
    flow = setup(api)
    api.user("helper")
    instance = submitted(api, flow)
    task = flow.task(instance, "manager_review")
    boss = browser("boss")
    url = f"/tasks/{task['id']}"
    assert 'value="parallel"' in page(boss.get(url))
    done = boss.post(f"{url}/approval/add_signers", {"users": "helper", "mode": "parallel"}, from_page=url,
                     follow_redirects=True, headers={"Accept-Language": "zh-CN"})
    assert "与你并行会签：helper。" in page(done)
    [part] = [t for t in flow.open(instance)["manager_review"] if t["signsFor"] == task["id"]]
    text = page(browser("helper").get(f"/tasks/{part['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "你与 boss 并行会签" in text
    assert 'data-testid="action-transfer"' not in text and 'data-testid="action-add_signers"' not in text
    signed = boss.post(f"{url}/complete", {"managerDecision": "approve"}, from_page=url, follow_redirects=True,
                       headers={"Accept-Language": "zh-CN"})
    assert "这一步还在等其他会签人：helper。" in page(signed) and "任务已完成" not in page(signed)
    text = page(boss.get(url))
    assert "You have signed; the step waits for the others." in text
    assert flow.elements(instance) == ["manager_review"]


def test_admins_move_a_token_from_the_instance_page(api: Api, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    url = f"/instances/{instance}"
    assert 'data-testid="modify"' not in page(browser("clerk").get(url))  # admins only
    admin = browser("admin")
    text = page(admin.get(url, headers={"Accept-Language": "zh-CN"}))
    assert 'data-testid="modify"' in text and "移动令牌" in text
    refused = admin.post(f"{url}/modify", {"cancel": "manager_review", "startBefore": "start"}, from_page=url,
                         follow_redirects=True)
    assert "Choose an active element" in page(refused) and flow.elements(instance) == ["manager_review"]
    moved = admin.post(f"{url}/modify", {"cancel": "manager_review", "startBefore": "finance_review"},
                       from_page=url, follow_redirects=True)
    assert "The token was moved." in page(moved)
    assert flow.elements(instance) == ["finance_review"]
    assert clerk_forbidden(browser, url)


def clerk_forbidden(browser: Any, url: str) -> bool:
    response = browser("clerk").post(f"{url}/modify", {"cancel": "finance_review", "startBefore": "submit"},
                                     from_page=url)
    return response.status_code == 403


def test_send_back_to_a_named_earlier_step_from_the_page(api: Api, browser: Any) -> None:
    flow = setup(api)
    instance = submitted(api, flow)
    flow.complete(flow.task(instance, "manager_review"), {"managerDecision": "approve"}, who="boss")
    task = flow.task(instance, "finance_review")
    api.post("fin", f"/api/v1/tasks/{task['id']}/claim")
    fin = browser("fin")
    url = f"/tasks/{task['id']}"
    text = page(fin.get(url))
    assert '<option value="manager_review">Manager review</option>' in text
    assert '<option value="submit">Submit the claim</option>' in text
    fin.post(f"{url}/approval/return", {"to": "submit", "comment": "attach the receipt"}, from_page=url)
    assert flow.elements(instance) == ["submit"] and flow.task(instance, "submit")["assignee"] == "clerk"
