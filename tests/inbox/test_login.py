"""Login, logout, CSRF and the login rate limit of the web pages."""

from __future__ import annotations

from typing import Any


def test_login_and_logout(api: Any, browser: Any) -> None:
    api.user("alice", groups=("employees",))
    alice = browser("alice")
    page = alice.get("/inbox")
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    assert alice.get("/").headers["Location"].endswith("/inbox")
    out = alice.post("/logout", from_page="/inbox")
    assert out.status_code == 302 and out.headers["Location"].endswith("/login")
    assert alice.get("/inbox").status_code == 302


def test_wrong_password_says_so(api: Any) -> None:
    api.user("alice")
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "alice", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong user name or password." in response.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_a_form_without_csrf_token_is_refused(api: Any, browser: Any) -> None:
    api.user("alice")
    alice = browser("alice")
    assert alice.client.post("/logout").status_code == 400
    assert api.app.test_client().post("/login", data={"username": "alice", "password": "x"}).status_code == 400


def test_login_is_rate_limited(api: Any) -> None:
    api.user("alice")
    api.app.config["BOMS"] = api.app.config["BOMS"].__class__(
        **{**api.app.config["BOMS"].__dict__, "login_rate_limit": "3 per minute"})
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    codes = [client.post("/login", data={"username": "alice", "password": "bad", "csrf_token": token}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_open_redirect_after_login_is_refused(api: Any) -> None:
    api.user("alice")
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "alice", "password": "password-alice", "csrf_token": token})
    assert response.headers["Location"].endswith("/inbox")
