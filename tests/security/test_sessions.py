"""Session cookies: Secure (unless the embedded HTTP server), HttpOnly, SameSite=Lax; a session ends
server-side on logout, when an admin sets the user's password and when the user is deactivated."""

from __future__ import annotations

from typing import Any

from server.auth.permissions import Principal
from server.config import Config
from server.models import User


def _session_cookie(response: Any) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_cookie_is_secure_httponly_and_lax_by_default(api: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("BOMS_SECURE_COOKIES", raising=False)
    assert Config.from_env(secret_key="x" * 40).secure_cookies is True
    monkeypatch.setenv("BOMS_SECURE_COOKIES", "0")
    assert Config.from_env(secret_key="x" * 40).secure_cookies is False
    api.user("alice")
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "alice", "password": "password-alice", "csrf_token": token})
    flags = {part.strip().lower() for part in _session_cookie(response).split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags


def test_the_embedded_http_server_turns_secure_off_unless_set(monkeypatch: Any) -> None:
    from server.cli import embedded_http

    config = Config.from_env(secret_key="x" * 40)
    monkeypatch.delenv("BOMS_SECURE_COOKIES", raising=False)
    assert embedded_http(config).secure_cookies is False
    monkeypatch.setenv("BOMS_SECURE_COOKIES", "1")
    assert embedded_http(config).secure_cookies is True


def _stolen_cookie(alice: Any) -> str:
    cookie = alice.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(api: Any, value: str) -> int:
    other = api.app.test_client()
    other.set_cookie("session", value)
    return other.get("/inbox").status_code


def test_a_session_ends_on_logout(api: Any, browser: Any) -> None:
    api.user("alice")
    alice = browser("alice")
    copied = _stolen_cookie(alice)
    assert _replay(api, copied) == 200
    alice.post("/logout", from_page="/inbox")
    assert _replay(api, copied) == 302


def _admin() -> Principal:
    return Principal(id=0, username="admin", roles=frozenset({"admin"}), groups=frozenset())


def _user_id(api: Any, name: str) -> int:
    with api.app.extensions["boms_db"].read() as session:
        return session.query(User.id).filter(User.username == name).scalar()


def test_a_session_ends_when_an_admin_sets_the_password(api: Any, browser: Any) -> None:
    from server.services.people import set_password

    api.user("alice")
    copied = _stolen_cookie(browser("alice"))
    with api.app.extensions["boms_db"].write() as session:
        set_password(session, _admin(), _user_id(api, "alice"), "a-new-password")
    assert _replay(api, copied) == 302


def test_a_session_ends_on_deactivation_and_stays_ended_after_reactivation(api: Any, browser: Any) -> None:
    from server.services.people import update_user

    api.user("alice", groups=("employees",))
    copied = _stolen_cookie(browser("alice"))
    alice_id = _user_id(api, "alice")
    for active in (False, True):
        with api.app.extensions["boms_db"].write() as session:
            update_user(session, _admin(), alice_id, display_name="", email="", active=active, roles=["staff"],
                        groups="employees", manager="")
        assert _replay(api, copied) == 302
    # Another browser can log in again and work.
    assert browser("alice").get("/inbox").status_code == 200


def test_other_sessions_of_the_user_end_on_logout_too(api: Any, browser: Any) -> None:
    api.user("alice")
    laptop, phone = browser("alice"), browser("alice")
    laptop.post("/logout", from_page="/inbox")
    assert phone.get("/inbox").status_code == 302
