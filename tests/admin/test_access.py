"""Who may open and who may change each admin view; CSRF on every admin form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.conftest import start_purchase
from tests.conftest import Api

# page -> roles that may open it (staff never may)
PAGES = {
    "/admin/": {"admin", "modeler", "auditor"},
    "/admin/models/": {"admin", "modeler"},
    "/admin/models/purchase_request/": {"admin", "modeler"},
    "/admin/instances/": {"admin", "auditor"},
    "/admin/tasks/": {"admin"},
    "/admin/users/": {"admin"},
    "/admin/users/create": {"admin"},
    "/admin/groups/": {"admin"},
    "/admin/tokens/": {"admin"},
    "/admin/audit/": {"admin", "auditor"},
    "/admin/audit/verify": {"admin", "auditor"},
    "/admin/audit/export.csv": {"admin", "auditor"},
    "/admin/audit/export.json": {"admin", "auditor"},
}
ROLES = {"admin": "admin", "modeler": "modeler", "auditor": "auditor", "staff": "sam"}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_sees_its_pages_and_gets_403_elsewhere(team: Api, web: Any, role: str) -> None:
    browser = web(ROLES[role])
    for url, allowed in PAGES.items():
        status = browser.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)


def test_instance_page_is_open_to_admin_and_auditor_only(team: Api, web: Any) -> None:
    instance_id = start_purchase(team)
    for who, status in (("admin", 200), ("auditor", 200), ("modeler", 403), ("sam", 403), ("alice", 403)):
        assert web(who).get(f"/admin/instances/{instance_id}").status_code == status, who
    assert web("admin").get("/admin/instances/no-such-instance").status_code == 404


def test_anonymous_is_sent_to_the_login_page(team: Api) -> None:
    client = team.app.test_client()
    for url in ("/admin/", "/admin/instances/", "/admin/users/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], url


def test_menu_shows_only_what_the_role_may_open(team: Api, web: Any) -> None:
    auditor = web("auditor").get("/admin/").get_data(as_text=True)
    assert "/admin/instances/" in auditor and "/admin/audit/" in auditor
    assert "/admin/models/" not in auditor and "/admin/users/" not in auditor
    modeler = web("modeler").get("/admin/").get_data(as_text=True)
    assert "/admin/models/" in modeler and "/admin/instances/" not in modeler


def _post_endpoints(instance_id: str, task_id: str, token_id: int, user_id: int) -> list[str]:
    return [
        "/admin/models/deploy", "/admin/models/version/1/start",
        "/admin/instances/bulk", f"/admin/instances/{instance_id}/operate", f"/admin/instances/{instance_id}/variables",
        f"/admin/tasks/{task_id}/reassign", f"/admin/tasks/{task_id}/due",
        "/admin/users/create", f"/admin/users/{user_id}/update", f"/admin/users/{user_id}/password",
        f"/admin/users/{user_id}/token", "/admin/groups/create", f"/admin/tokens/{token_id}/revoke",
    ]


def _ids(team: Api) -> tuple[str, str, int, int]:
    from sqlalchemy import select

    from server.models import ApiToken, User

    instance_id = start_purchase(team)
    task_id = team.open_tasks("admin", instanceId=instance_id)[0]["id"]
    with team.app.extensions["boms_db"].read() as session:
        user_id = session.scalar(select(User.id).where(User.username == "alice"))
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    return instance_id, task_id, token_id, user_id


def test_auditor_and_staff_posts_to_any_admin_action_are_refused_and_change_nothing(team: Api, web: Any) -> None:
    instance_id, task_id, token_id, user_id = _ids(team)
    for who in ("auditor", "sam"):
        web(who)  # signing in is itself logged (auth.login): before the snapshot
    before = team.get("admin", "/api/v1/audit").get_json()
    for who in ("auditor", "sam"):
        browser = web(who)
        token = browser.csrf(browser.get("/admin/" if who == "auditor" else "/inbox").get_data(as_text=True))
        data = {"csrf_token": token, "action": "cancel", "ids": instance_id, "name": "x", "value": "1",
                "assignee": who, "password": "a-long-password", "username": "mallory", "roles": "admin"}
        for url in _post_endpoints(instance_id, task_id, token_id, user_id):
            assert browser.client.post(url, data=data).status_code == 403, (who, url)
    after = team.get("admin", "/api/v1/audit").get_json()
    assert after == before  # not one event: nothing changed


def test_modeler_may_post_only_to_models(team: Api, web: Any) -> None:
    instance_id, task_id, token_id, user_id = _ids(team)
    browser = web("modeler")
    token = browser.csrf(browser.get("/admin/models/").get_data(as_text=True))
    for url in _post_endpoints(instance_id, task_id, token_id, user_id)[2:]:
        assert browser.client.post(url, data={"csrf_token": token, "action": "cancel"}).status_code == 403, url


def test_every_admin_post_without_csrf_token_is_400(team: Api, web: Any) -> None:
    instance_id, task_id, token_id, user_id = _ids(team)
    browser = web("admin")
    for url in _post_endpoints(instance_id, task_id, token_id, user_id):
        response = browser.client.post(url, data={"action": "cancel", "ids": instance_id, "assignee": "sam"})
        assert response.status_code == 400, url
        response = browser.client.post(url, data={"csrf_token": "forged", "action": "cancel", "ids": instance_id})
        assert response.status_code == 400, url
    assert team.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()["status"] == "running"
