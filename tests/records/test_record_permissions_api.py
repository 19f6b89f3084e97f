"""Record permissions through the API: actions, hidden and read-only fields, row scopes."""

from __future__ import annotations

import json
from typing import Any

from tests.records.conftest import create


def _everywhere(api: Any, who: str, record_id: int) -> str:
    """Every answer a user gets about a record, as one text to search."""
    base = "/api/v1/records/contract"
    answers = [api.get(who, f"{base}/{record_id}"), api.get(who, base),
               api.get(who, f"{base}/{record_id}/history"), api.get(who, "/api/v1/record-types/contract"),
               api.get(who, "/api/v1/record-types/contract/schema"),
               api.get(who, base, query_string={"filter": "margin > 1"}),
               api.get(who, base, query_string={"sort": "margin"})]
    return json.dumps([a.get_json() for a in answers], ensure_ascii=False)


def test_a_hidden_field_never_leaves_the_server(records_api: Any) -> None:
    record = create(records_api, "sam", title="A").get_json()
    patched = records_api.client.patch(f"/api/v1/records/contract/{record['id']}",
                                       headers=records_api.headers("admin"),
                                       json={"fields": {"margin": "42.4242"}})
    assert patched.status_code == 200 and patched.get_json()["fields"]["margin"] == "42.4242"
    seen = _everywhere(records_api, "sam", record["id"])
    assert "margin" not in seen.replace("no field 'margin'", "") and "42.4242" not in seen
    assert "42.4242" in _everywhere(records_api, "admin", record["id"])


def test_writing_a_hidden_field_reads_as_an_unknown_field(records_api: Any) -> None:
    response = create(records_api, "sam", title="A", margin="1")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["margin"] == "is not a field of this record type"


def test_a_read_only_field_is_shown_but_not_changed(records_api: Any) -> None:
    record = create(records_api, "sam", title="A", number="N-1").get_json()
    url = f"/api/v1/records/contract/{record['id']}"
    response = records_api.client.patch(url, headers=records_api.headers("sam"),
                                        json={"fields": {"number": "N-2"}})
    assert response.status_code == 403 and response.get_json()["error"]["field"] == "number"
    assert records_api.get("sam", url).get_json()["fields"]["number"] == "N-1"


def test_row_scope_own_limits_lists_reads_and_history(records_api: Any) -> None:
    mine = records_api.post("admin", "/api/v1/records/contract", json={"fields": {"title": "not hers"}}).get_json()
    sally_grant = records_api.get("sally", "/api/v1/records/contract")
    assert sally_grant.status_code == 200 and sally_grant.get_json()["total"] == 0
    assert records_api.get("sally", f"/api/v1/records/contract/{mine['id']}").status_code == 404
    assert records_api.get("sally", f"/api/v1/records/contract/{mine['id']}/history").status_code == 404
    # sally may only read: creating is refused
    assert create(records_api, "sally", title="x").status_code == 403


def test_sales_sees_only_its_fields_of_its_own_rows(records_api: Any) -> None:
    records_api.user("sue", roles=("staff",), groups=("sales",))
    own = create(records_api, "sue", title="Mine", amount="5.00", seats=3).get_json()
    create(records_api, "sam", title="Sam's")
    records_api.user("sal", roles=(), groups=("sales",))
    assert records_api.get("sal", "/api/v1/records/contract").get_json()["total"] == 0
    listed = records_api.get("sue", "/api/v1/records/contract").get_json()  # staff grant: all rows
    assert listed["total"] == 2
    assert own["fields"]["seats"] == 3


def test_no_grant_no_type(records_api: Any) -> None:
    records_api.user("nobody", roles=())
    assert records_api.get("nobody", "/api/v1/records/contract").status_code == 404
    assert records_api.get("nobody", "/api/v1/record-types").get_json()["items"] == []
    assert records_api.get("nobody", "/api/v1/record-types/contract").status_code == 404
