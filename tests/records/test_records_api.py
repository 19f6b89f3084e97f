"""Records over the API: each field type's validation, versions, unique values, history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.conftest import create


def test_create_read_and_every_field_type_round_trips(records_api: Any) -> None:
    values = {"title": "Oak tables", "notes": "long\ntext", "seats": 12, "rate": "0.125", "amount": "1234.50",
              "signed": True, "signed_on": "2026-03-05", "reminder": "2026-03-05T09:30:00+08:00",
              "region": "north", "lines": ["sofa", "table"], "email": "buyer@example.cn",
              "site": "https://example.cn/a?b=1", "number": "C-001"}
    response = create(records_api, "sam", **values)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 1 and body["id"] >= 1 and body["createdBy"] == "sam"
    assert body["fields"] == {**values, "rate": "0.125", "reminder": "2026-03-05T01:30:00Z"}
    assert records_api.get("sam", f"/api/v1/records/contract/{body['id']}").get_json() == body


def test_money_is_exact_and_defaults_fill_missing_fields(records_api: Any) -> None:
    body = create(records_api, "sam", title="A", amount=0.1).get_json()
    assert body["fields"]["amount"] == "0.10"
    assert create(records_api, "sam", title="B").get_json()["fields"]["amount"] == "0.00"
    big = create(records_api, "sam", title="C", amount="9999999999999.99").get_json()
    assert big["fields"]["amount"] == "9999999999999.99"  # 15 digits: exact on SQLite too
    assert create(records_api, "sam", title="D", amount="99999999999999.99").status_code == 422


@pytest.mark.parametrize(("values", "field", "code"), [
    ({}, "title", "required"),
    ({"title": "x" * 81}, "title", "maxLength"),
    ({"title": 5}, "title", "type"),
    ({"title": "t", "seats": 0}, "seats", "minimum"),
    ({"title": "t", "seats": 1.5}, "seats", "type"),
    ({"title": "t", "rate": "0.1234"}, "rate", "pattern"),
    ({"title": "t", "amount": "-1.00"}, "amount", "minimum"),
    ({"title": "t", "amount": "1.005"}, "amount", "pattern"),
    ({"title": "t", "signed": "yes"}, "signed", "type"),
    ({"title": "t", "signed_on": "2026-02-30"}, "signed_on", "format"),
    ({"title": "t", "reminder": "tomorrow"}, "reminder", "format"),
    ({"title": "t", "region": "east"}, "region", "enum"),
    ({"title": "t", "lines": ["chair"]}, "lines", "enum"),
    ({"title": "t", "email": "not-an-address"}, "email", "format"),
    ({"title": "t", "site": "javascript:alert(1)"}, "site", "pattern"),
    ({"title": "t", "nope": 1}, "nope", "unknown_field"),
    ({"title": "t\x00"}, "title", "nul_character"),
])
def test_a_bad_value_is_a_422_naming_the_field_and_nothing_is_written(
        records_api: Any, values: dict[str, Any], field: str, code: str) -> None:
    response = create(records_api, "sam", **values)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    # Paths: 'lines.0' (an item), 'fields.title' (the API's body check runs before the record validator)
    assert field in {name.removeprefix('fields.').split('.')[0] for name in fields}, fields
    assert records_api.get("sam", "/api/v1/records/contract").get_json()["total"] == 0


def test_patch_with_a_stale_version_is_a_409_and_changes_nothing(records_api: Any) -> None:
    record = create(records_api, "sam", title="First").get_json()
    url = f"/api/v1/records/contract/{record['id']}"
    patched = records_api.client.patch(url, headers=records_api.headers("sam"),
                                       json={"fields": {"title": "Second"}, "version": 1})
    assert patched.status_code == 200 and patched.get_json()["version"] == 2
    stale = records_api.client.patch(url, headers=records_api.headers("sam"),
                                     json={"fields": {"title": "Third"}, "version": 1})
    assert stale.status_code == 409
    by_header = records_api.client.patch(url, headers={**records_api.headers("sam"), "If-Match": '"1"'},
                                         json={"fields": {"title": "Third"}})
    assert by_header.status_code == 409
    assert records_api.get("sam", url).get_json()["fields"]["title"] == "Second"
    gone = records_api.client.delete(url + "?version=1", headers=records_api.headers("sam"))
    assert gone.status_code == 409
    assert records_api.client.delete(url + "?version=2", headers=records_api.headers("sam")).status_code == 204
    assert records_api.get("sam", url).status_code == 404


def test_a_duplicate_unique_value_is_a_422_naming_the_field(records_api: Any) -> None:
    first = create(records_api, "sam", title="A", number="N-1").get_json()
    duplicate = create(records_api, "sam", title="B", number="N-1")
    assert duplicate.status_code == 422
    assert list(duplicate.get_json()["error"]["fields"]) == ["number"]
    other = create(records_api, "sam", title="C", number="N-2").get_json()
    clash = records_api.client.patch(f"/api/v1/records/contract/{other['id']}", headers=records_api.headers("admin"),
                                     json={"fields": {"number": "N-1"}})
    assert clash.status_code == 422 and list(clash.get_json()["error"]["fields"]) == ["number"]
    assert records_api.get("sam", f"/api/v1/records/contract/{first['id']}").get_json()["fields"]["number"] == "N-1"
    assert records_api.get("sam", "/api/v1/records/contract").get_json()["total"] == 2


def test_history_has_each_changed_field_before_and_after(records_api: Any) -> None:
    record = create(records_api, "sam", title="A", amount="10.00").get_json()
    url = f"/api/v1/records/contract/{record['id']}"
    records_api.client.patch(url, headers=records_api.headers("sam"),
                             json={"fields": {"title": "B", "amount": "12.5"}, "version": 1})
    records_api.client.patch(url, headers=records_api.headers("admin"), json={"fields": {"margin": "3.5"}})
    history = records_api.get("sam", url + "/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated", "record.updated"]
    assert history[1]["changes"] == {"title": {"old": "A", "new": "B"},
                                     "amount": {"old": "10.00", "new": "12.50"}}
    assert history[1]["actor"] == "sam" and history[1]["version"] == 2
    assert history[2]["changes"] == {}  # the hidden field's change is not shown to staff
    admin_view = records_api.get("admin", url + "/history").get_json()["items"]
    assert admin_view[2]["changes"] == {"margin": {"old": None, "new": "3.5000"}}
    records_api.client.delete(url, headers=records_api.headers("sam"))
    after_delete = records_api.get("sam", url + "/history").get_json()["items"]
    assert after_delete[-1]["kind"] == "record.deleted"
    assert after_delete[-1]["changes"]["title"] == {"old": "B", "new": None}
    assert "margin" not in after_delete[-1]["changes"]


def test_audit_chain_holds_the_record_events(records_api: Any) -> None:
    create(records_api, "sam", title="A")
    response = records_api.get("auditor", "/api/v1/audit", query_string={"kind": "record.created"})
    assert response.status_code == 200, response.get_json()
    [event] = response.get_json()["items"]
    assert event["subjectType"] == "record" and event["subjectId"].startswith("contract:")
    assert records_api.get("auditor", "/api/v1/audit/verify").get_json()["ok"] is True
