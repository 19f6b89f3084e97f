"""Rule fixtures: small material, lead and order record types (tests/fixtures/rules), people, the purchase
process; the demo rules themselves come from rules/ (`boms demo` deploys them beside records/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import purchase_request_team, run_due_jobs

DEMO = Path(__file__).parent.parent.parent / "rules"
TYPES = Path(__file__).parent.parent / "fixtures" / "rules"


def demo_rule(name: str) -> dict[str, Any]:
    return json.loads((DEMO / f"{name}.rule.json").read_text())


@pytest.fixture
def rules_api(api: Any) -> Any:
    purchase_request_team(api)
    api.user("sam", roles=("staff",))
    api.user("paul", roles=("staff",), groups=("purchasing",))
    for key in ("material", "lead", "order"):
        body = json.loads((TYPES / f"{key}.record.json").read_text())
        response = api.post("modeler", "/api/v1/record-types", json=body)
        assert response.status_code == 201, response.get_json()
    return api


def save_rule(api: Any, rule: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    response = api.post("modeler", "/api/v1/rules", json=rule)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def create(api: Any, type_key: str, who: str = "sam", **fields: Any) -> dict[str, Any]:
    response = api.post(who, f"/api/v1/records/{type_key}", json={"fields": fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def update(api: Any, type_key: str, record: dict[str, Any], who: str = "sam", **fields: Any) -> dict[str, Any]:
    response = api.client.patch(f"/api/v1/records/{type_key}/{record['id']}", headers=api.headers(who),
                                json={"fields": fields})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def get(api: Any, type_key: str, record_id: int) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/records/{type_key}/{record_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def runs(api: Any, key: str) -> list[dict[str, Any]]:
    response = api.get("admin", f"/api/v1/rules/{key}/runs")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def run(api: Any, run_id: int) -> dict[str, Any]:
    response = api.get("admin", f"/api/v1/rule-runs/{run_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


__all__ = ["create", "demo_rule", "get", "run", "run_due_jobs", "runs", "save_rule", "update"]
