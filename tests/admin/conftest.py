"""Admin UI fixtures: the demo team and the four roles, each with a logged-in web session."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from tests.conftest import Api, Browser, purchase_request_team
from tests.connectors.conftest import local_server  # noqa: F401  (a fixture for the incident tests)

FLASH = re.compile(r'<div class="alert alert-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)


@pytest.fixture
def team(api: Api) -> Api:
    """admin, modeler, auditor (from `api`), a staff user `sam`, and the purchase request deployed."""
    purchase_request_team(api)
    api.user("sam", groups=("employees",))
    return api


@pytest.fixture
def web(team: Api) -> Any:
    sessions: dict[str, Browser] = {}

    def login(who: str) -> Browser:
        if who not in sessions:
            sessions[who] = Browser(team, who)
        return sessions[who]

    return login


def flashes(html: str) -> list[tuple[str, str]]:
    """(category, text) of the alerts on a page: tags, entities and Flask-Admin's close button removed."""
    found = []
    for kind, text in FLASH.findall(html):
        plain = unescape(re.sub(r"<button.*?</button>|<[^>]+>", "", text, flags=re.S))
        found.append((kind, re.sub(r"\s+", " ", plain).strip()))
    return found


def start_purchase(team: Api, who: str = "alice", amount: int = 800, key: str = "PR-1") -> str:
    body = team.start(who, "purchase_request", {"item": "Laptop", "amount": amount, "reason": "old one broke"},
                      businessKey=key)
    return body["id"]
