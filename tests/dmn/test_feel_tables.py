"""FEEL unary tests inside real tables (tests/fixtures/dmn/shipping.dmn): lists, not(), ranges,
booleans, empty and "-" entries, dates and ISO date strings, a multi-output table."""

from __future__ import annotations

from typing import Any

import pytest

ORDERS = [
    # country, weight, express, orderDate -> carrier, days, rule
    (("DE", 1.5, True, "2024-03-01"), ("courier", 1, "Rule_courier")),
    (("AT", 2, False, None), ("post", 2, "Rule_post")),  # an empty entry matches anything, null too
    (("CH", 2.01, False, "2024-03-01"), ("truck", 3, "Rule_truck")),  # ]2..30] excludes 2
    (("DE", 25, True, "2024-03-01"), ("truck", 4, "Rule_truck")),  # output computed by an expression
    (("DE", 30, True, "2024-03-01"), ("truck", 4, "Rule_truck")),
    (("FR", 30, False, "2024-12-31"), ("legacy-intl", 10, "Rule_legacy_intl")),
    (("FR", 0, False, "2025-01-01"), ("intl", 7, "Rule_intl")),
    (("US", 3, True, "2025-06-30T23:59:00Z"), ("intl", 7, "Rule_intl")),  # date-time compared by its day
    (("DE", 31, False, None), ("freight", 14, "Rule_freight")),
    (("FR", 3, False, "soon"), (None, None, None)),  # not a date: neither date rule matches
    (("DE", 1, None, "2024-03-01"), (None, None, None)),  # null is neither true nor false
    (("DE", "1", True, "2024-03-01"), (None, None, None)),  # a string is not a number
]


@pytest.fixture
def shipper(api: Any) -> Any:
    api.user("sam", groups=("sales",))
    api.deploy("modeler", "dmn/shipping.dmn")
    return api


def evaluate(api: Any, key: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = api.post("sam", f"/api/v1/decisions/{key}/evaluate", json={"variables": variables})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_unary_tests_in_a_multi_output_table(shipper: Any) -> None:
    for (country, weight, express, day), (carrier, days, rule) in ORDERS:
        variables = {"country": country, "weight": weight, "express": express, "orderDate": day}
        body = evaluate(shipper, "shipping", variables)
        assert body["result"] == {"carrier": carrier, "days": days}, (variables, body)
        assert [m["rule"] for m in body["matchedRules"]] == ([rule] if rule else []), variables


@pytest.mark.parametrize(
    ("day", "season"),
    [("2024-06-01", "summer"), ("2024-08-31", "summer"), ("2024-09-01", "other"), ("2025-01-01", "new year"),
     ("2026-01-01T08:00:00", "new year"), ("2025-01-02", "other"), (None, None)],
)
def test_date_ranges_lists_and_not_null(shipper: Any, day: str | None, season: str | None) -> None:
    assert evaluate(shipper, "season", {"orderDate": day})["result"] == {"season": season}


def test_rule_annotations_and_descriptions(shipper: Any) -> None:
    body = evaluate(shipper, "shipping", {"country": "DE", "weight": 1, "express": True, "orderDate": None})
    [rule] = body["matchedRules"]
    assert rule == {"rule": "Rule_courier", "index": 1, "description": "Small express parcels at home go by courier",
                    "annotations": ["Agreed with the courier in 2023"], "outputs": {"carrier": "courier", "days": 1}}
