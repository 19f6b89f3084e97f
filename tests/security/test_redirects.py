"""Open redirects: every redirect built from input goes to a path of this site, after the browser's
normalisation (tabs, CR and LF dropped, backslashes read as slashes)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

HOSTILE = ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example", "/\\evil.example",
           "\\\\evil.example", "\\/evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example",
           " /\t/evil.example", "/\x00/evil.example", "\t//evil.example", "///evil.example", "/\t\\evil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_fall_back(target: str) -> None:
    from server.auth.redirects import local_path

    assert local_path(target, "/inbox") == "/inbox"


@pytest.mark.parametrize("target", ["/inbox", "/inbox?tab=mine&q=a%2Fb", "/tasks/abc#form", "/admin/instances/"])
def test_local_paths_are_kept(target: str) -> None:
    from server.auth.redirects import local_path

    assert local_path(target, "/inbox") == target


def _login(client: Any, query: str) -> Any:
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login?" + query, data={"username": "alice", "password": "password-alice",
                                                "csrf_token": token})


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "//evil.example"])
def test_login_next_with_a_tab_is_not_an_open_redirect(api: Any, target: str) -> None:
    api.user("alice")
    response = _login(api.app.test_client(), "next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


def test_login_next_keeps_a_local_path(api: Any) -> None:
    api.user("alice")
    response = _login(api.app.test_client(), "next=" + quote("/start?x=1", safe=""))
    assert response.headers["Location"] == "/start?x=1"


def test_language_switch_and_referrer_refuse_hostile_targets(api: Any, browser: Any) -> None:
    api.user("alice")
    alice = browser("alice")
    switched = alice.post("/language", {"lang": "zh", "next": "/\t/evil.example"}, from_page="/inbox")
    assert switched.headers["Location"] == "/inbox"
    from server.inbox.pages import local_referrer

    with api.app.test_request_context("/x", method="POST", data={"next": "/\t/evil.example"}):
        assert local_referrer("/fallback") == "/fallback"
    with api.app.test_request_context("/x", method="POST", headers={"Referer": "http://localhost/\\evil.example"}):
        assert local_referrer("/fallback") == "/fallback"
    with api.app.test_request_context("/x", method="POST", headers={"Referer": "http://localhost/inbox?tab=mine"}):
        assert local_referrer("/fallback") == "/inbox?tab=mine"


def test_admin_back_to_refuses_hostile_targets(api: Any) -> None:
    from admin.views.instances import back_to

    with api.app.test_request_context("/x", method="POST", data={"next": "/admin/\t/../\\evil.example"}):
        assert back_to("/admin/") == "/admin/"
    with api.app.test_request_context("/x", method="POST", data={"next": "/admin/instances/?status=error"}):
        assert back_to("/admin/") == "/admin/instances/?status=error"
