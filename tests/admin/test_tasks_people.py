"""Human tasks (overdue first, reassign, due date) and people (users, groups, tokens, passwords)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from server.auth.passwords import verify_password
from server.auth.tokens import user_for_token
from server.db import utcnow
from server.models import ApiToken, AuditEvent, HumanTask, User
from tests.admin.conftest import flashes, start_purchase
from tests.conftest import Api, Browser


def task_rows(browser: Any, **params: Any) -> list[str]:
    return re.findall(r'data-task="([^"]+)"', browser.get("/admin/tasks/", query_string=params).get_data(as_text=True))


def events(team: Api, kind: str) -> list[AuditEvent]:
    with team.app.extensions["boms_db"].read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)))


def test_open_tasks_overdue_first_then_reassign_and_change_due(team: Api, web: Any) -> None:
    first, second = start_purchase(team, key="PR-1"), start_purchase(team, key="PR-2")
    task_1 = team.open_tasks("admin", instanceId=first)[0]["id"]
    task_2 = team.open_tasks("admin", instanceId=second)[0]["id"]
    browser = web("admin")
    page = "/admin/tasks/"
    past = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = browser.post(f"/admin/tasks/{task_2}/due", {"due_at": past}, from_page=page, follow_redirects=True)
    assert flashes(response.get_data(as_text=True))[0][0] == "success"
    assert task_rows(browser)[0] == task_2 and set(task_rows(browser)) == {task_1, task_2}
    assert task_rows(browser, overdue="1") == [task_2]
    assert task_rows(browser, assignee="-") == [task_2, task_1]
    response = browser.post(f"/admin/tasks/{task_1}/reassign", {"assignee": "mike"}, from_page=page,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "Task assigned to mike.")]
    assert task_rows(browser, assignee="mike") == [task_1]
    with team.app.extensions["boms_db"].read() as session:
        assert session.get(HumanTask, task_1).assignee == "mike"  # type: ignore[union-attr]
        assert session.get(HumanTask, task_2).due_at is not None  # type: ignore[union-attr]
    assert [e.actor for e in events(team, "task.reassigned")] == ["admin"]
    assert [e.actor for e in events(team, "task.due_changed")] == ["admin"]
    response = browser.post(f"/admin/tasks/{task_2}/due", {"due_at": "next tuesday"}, from_page=page,
                            follow_redirects=True)
    assert "must be a date and time" in flashes(response.get_data(as_text=True))[0][1]
    response = browser.post("/admin/tasks/no-such-task/reassign", {"assignee": "mike"}, from_page=page,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True))[0][0] == "danger"


def test_reassign_from_the_instance_page_returns_there(team: Api, web: Any) -> None:
    instance_id = start_purchase(team)
    task_id = team.open_tasks("admin", instanceId=instance_id)[0]["id"]
    page = f"/admin/instances/{instance_id}"
    response = web("admin").post(f"/admin/tasks/{task_id}/reassign", {"assignee": "fiona", "next": page},
                                 from_page=page)
    assert response.status_code == 302 and response.headers["Location"] == page
    response = web("admin").post(f"/admin/tasks/{task_id}/reassign", {"assignee": "", "next": "//evil.example"},
                                 from_page=page)
    assert response.headers["Location"] == "/admin/tasks/"  # no open redirect


def user_id(team: Api, name: str) -> int:
    with team.app.extensions["boms_db"].read() as session:
        return session.scalar(select(User.id).where(User.username == name))  # type: ignore[return-value]


def test_create_user_edit_roles_groups_manager_and_set_password(team: Api, web: Any) -> None:
    browser = web("admin")
    response = browser.post("/admin/users/create", {"username": "nina", "password": "short", "roles": "staff"})
    assert "at least 8 characters" in flashes(response.get_data(as_text=True))[0][1]
    response = browser.post("/admin/users/create", {"username": "nina", "password": "nina-password", "roles": "staff",
                                                    "groups": "employees, buyers", "manager": "mike"})
    assert response.status_code == 302
    nina = user_id(team, "nina")
    listing = browser.get("/admin/users/").get_data(as_text=True)
    assert "nina" in listing and "buyers, employees" in listing and "$argon2" not in listing
    manage = f"/admin/users/{nina}"
    response = browser.post(f"{manage}/update", {"display_name": "Nina N", "active": "on",
                                                 "roles": ["staff", "auditor"], "groups": "buyers", "manager": "fiona"},
                            from_page=manage, follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "User saved.")]
    with team.app.extensions["boms_db"].read() as session:
        user = session.get(User, nina)
        assert user.roles == ["auditor", "staff"] and user.display_name == "Nina N"  # type: ignore[union-attr]
        assert user.group_names == ["buyers"] and user.manager.username == "fiona"  # type: ignore[union-attr]
    (changed,) = events(team, "user.updated")
    assert '"manager":{"new":"fiona","old":"mike"}' in changed.data
    response = browser.post(f"{manage}/update", {"roles": ["wizard"]}, from_page=manage, follow_redirects=True)
    assert "unknown role" in flashes(response.get_data(as_text=True))[0][1]
    response = browser.post(f"{manage}/update", {"roles": ["staff"], "manager": "ghost"}, from_page=manage,
                            follow_redirects=True)
    assert "ghost" in flashes(response.get_data(as_text=True))[0][1]
    response = browser.post(f"{manage}/password", {"password": "a-new-password"}, from_page=manage,
                            follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "Password set.")]
    with team.app.extensions["boms_db"].read() as session:
        assert verify_password(session.get(User, nina).password_hash, "a-new-password")  # type: ignore[union-attr]
    assert all("a-new-password" not in e.data for e in events(team, "user.password_set"))
    # Deactivated: the session login refuses her.
    browser.post(f"{manage}/update", {"roles": ["staff"]}, from_page=manage)
    client = team.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "nina", "password": "a-new-password",
                                           "csrf_token": Browser.csrf(page)})
    assert response.status_code == 401


def test_admin_cannot_lock_themself_out(team: Api, web: Any) -> None:
    me = f"/admin/users/{user_id(team, 'admin')}"
    response = web("admin").post(f"{me}/update", {"roles": ["staff"], "active": "on"}, from_page=me,
                                 follow_redirects=True)
    assert "your own admin role" in flashes(response.get_data(as_text=True))[0][1]


def test_token_is_shown_once_works_and_can_be_revoked(team: Api, web: Any) -> None:
    browser = web("admin")
    manage = f"/admin/users/{user_id(team, 'alice')}"
    html = browser.post(f"{manage}/token", {"name": "scanner"}, from_page=manage).get_data(as_text=True)
    token = re.search(r'data-testid="new-token".*?<code[^>]*>(boms_[^<]+)</code>', html, re.S).group(1)  # type: ignore[union-attr]
    assert token not in browser.get(manage).get_data(as_text=True)  # never again
    assert token not in browser.get("/admin/tokens/").get_data(as_text=True)
    assert team.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with team.app.extensions["boms_db"].read() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "scanner"))
    response = browser.post(f"/admin/tokens/{token_id}/revoke", {}, from_page="/admin/tokens/", follow_redirects=True)
    (kind, text), = flashes(response.get_data(as_text=True))
    assert kind == "success" and text.startswith(f"Token {token_id} revoked")
    with team.app.extensions["boms_db"].read() as session:  # what the API asks once its 5 s cache expires
        assert user_for_token(session, token) is None
    response = browser.post(f"/admin/tokens/{token_id}/revoke", {}, from_page="/admin/tokens/", follow_redirects=True)
    assert "already revoked" in flashes(response.get_data(as_text=True))[0][1]
    assert all(token not in e.data for e in events(team, "token.created"))


def test_groups_list_and_create(team: Api, web: Any) -> None:
    browser = web("admin")
    response = browser.post("/admin/groups/create", {"name": "buyers", "display_name": "Buyers"},
                            follow_redirects=True)
    assert ("success", "Group buyers created.") in flashes(response.get_data(as_text=True))
    response = browser.post("/admin/groups/create", {"name": "buyers"})
    assert "already exists" in flashes(response.get_data(as_text=True))[0][1]
    listing = browser.get("/admin/groups/").get_data(as_text=True)
    assert "buyers" in listing and "managers" in listing and "mike" in listing


def test_flask_admin_builtin_create_edit_delete_are_off(team: Api, web: Any) -> None:
    browser = web("admin")
    alice = user_id(team, "alice")
    token = browser.csrf(browser.get("/admin/users/").get_data(as_text=True))
    for url in ("/admin/users/new/", f"/admin/users/edit/?id={alice}", "/admin/users/delete/"):
        response = browser.client.post(url, data={"csrf_token": token, "id": alice, "username": "mallory"})
        assert response.status_code in (302, 403, 404), url
    with team.app.extensions["boms_db"].read() as session:
        user = session.get(User, alice)
        assert user is not None and user.username == "alice"


def test_department_and_approval_limit_are_set_on_the_user_page(team: Api, web: Any) -> None:
    browser = web("admin")
    browser.post("/admin/users/create", {"username": "olga", "password": "olga-password", "roles": "staff"})
    manage = f"/admin/users/{user_id(team, 'olga')}"
    response = browser.post(f"{manage}/update", {"roles": ["staff"], "active": "on", "department": "Finance",
                                                 "approval_limit": "20000.50"}, from_page=manage, follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [("success", "User saved.")]
    page = browser.get(manage).get_data(as_text=True)
    assert 'value="Finance"' in page and 'value="20000.50"' in page
    response = browser.post(f"{manage}/update", {"roles": ["staff"], "active": "on", "approval_limit": "lots"},
                            from_page=manage, follow_redirects=True)
    assert "is not an amount" in flashes(response.get_data(as_text=True))[0][1]
    with team.app.extensions["boms_db"].read() as session:
        olga = session.get(User, user_id(team, "olga"))
        assert olga.department == "Finance" and str(olga.approval_limit) == "20000.50"  # type: ignore[union-attr]
