"""The batch write path behind the bulk API: all or nothing, errors naming row and field, auto-numbers
gap-free, one audit event per record, the single path's permissions."""

from __future__ import annotations

from typing import Any

from tests.records.conftest import create

NUMBERED = {"key": "ticket", "name": {"en": "Ticket", "zh": "工单"},
            "fields": [{"key": "number", "label": {"en": "No.", "zh": "编号"}, "type": "auto_number",
                        "pattern": "T-{0000}"},
                       {"key": "code", "label": {"en": "Code", "zh": "代码"}, "type": "text", "unique": True},
                       {"key": "qty", "label": {"en": "Qty", "zh": "数量"}, "type": "integer"},
                       {"key": "double", "label": {"en": "Double", "zh": "两倍"}, "type": "formula",
                        "expression": "qty * 2", "resultType": "integer"}],
            "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete", "bulk"]}]}


def _bulk(api: Any, who: str, body: Any, type_key: str = "contract") -> Any:
    return api.post(who, f"/api/v1/records/{type_key}/bulk", json=body)


def _tickets(api: Any) -> Any:
    assert api.post("modeler", "/api/v1/record-types", json=NUMBERED).status_code == 201
    api.user("sam", roles=("staff",))
    return api


def _numbers(api: Any) -> list[tuple[str, str, int]]:
    body = api.get("sam", "/api/v1/records/ticket", query_string={"sort": "id", "pageSize": 100}).get_json()
    return [(i["fields"]["number"], i["fields"]["code"], i["fields"]["double"]) for i in body["items"]]


def test_a_batch_numbers_and_computes_every_row_without_gaps(api: Any) -> None:
    _tickets(api)
    response = _bulk(api, "sam", {"create": [{"fields": {"code": f"c{i}", "qty": i}} for i in range(3)]}, "ticket")
    assert response.status_code == 200, response.get_json()
    assert _numbers(api) == [("T-0001", "c0", 0), ("T-0002", "c1", 2), ("T-0003", "c2", 4)]
    # refused batches (a value taken, a value twice in the batch) give their numbers back
    taken = _bulk(api, "sam", {"create": [{"fields": {"code": "new", "qty": 1}},
                                          {"fields": {"code": "c1", "qty": 1}}]}, "ticket")
    assert taken.status_code == 422, taken.get_json()
    [row] = taken.get_json()["error"]["rows"]
    assert (row["op"], row["index"]) == ("create", 1) and "already used" in row["error"]["fields"]["code"]
    twice = _bulk(api, "sam", {"create": [{"fields": {"code": "x", "qty": 1}}, {"fields": {"code": "y", "qty": 1}},
                                          {"fields": {"code": "x", "qty": 1}}]}, "ticket")
    [row] = twice.get_json()["error"]["rows"]
    assert row["index"] == 2 and "same value as row 0" in row["error"]["fields"]["code"]
    single = api.post("sam", "/api/v1/records/ticket", json={"fields": {"code": "one", "qty": 1}}).get_json()
    assert single["fields"]["number"] == "T-0004"
    assert len(_numbers(api)) == 4


def test_a_batch_update_recomputes_and_audits_each_record(api: Any) -> None:
    _tickets(api)
    made = _bulk(api, "sam", {"create": [{"fields": {"code": f"c{i}", "qty": 1}} for i in range(2)]}, "ticket")
    first, second = made.get_json()["created"]
    response = _bulk(api, "sam", {"update": [{"id": first, "fields": {"qty": 5}, "version": 1},
                                             {"id": second, "fields": {"code": "renamed"}}]}, "ticket")
    assert response.status_code == 200, response.get_json()
    assert _numbers(api) == [("T-0001", "c0", 10), ("T-0002", "renamed", 2)]
    history = api.get("sam", f"/api/v1/records/ticket/{first}/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated"]
    assert history[1]["changes"] == {"qty": {"old": 1, "new": 5}, "double": {"old": 2, "new": 10}}
    assert history[1]["version"] == 2
    clash = _bulk(api, "sam", {"update": [{"id": first, "fields": {"code": "renamed"}}]}, "ticket")
    assert clash.status_code == 422 and clash.get_json()["error"]["rows"][0]["index"] == 0, clash.get_json()
    twice = _bulk(api, "sam", {"update": [{"id": first, "fields": {"qty": 1}}, {"id": first, "fields": {"qty": 2}}]},
                  "ticket")
    assert twice.status_code == 422 and twice.get_json()["error"]["rows"][0]["index"] == 1
    both = _bulk(api, "sam", {"update": [{"id": first, "fields": {"qty": 1}}], "delete": [{"id": first}]}, "ticket")
    assert both.status_code == 422 and both.get_json()["error"]["rows"][0]["op"] == "delete"
    assert _numbers(api)[0] == ("T-0001", "c0", 10)


def test_every_bad_row_is_named_with_its_field_and_nothing_is_written(records_api: Any) -> None:
    rows = [{"fields": {"title": "ok"}}, {"fields": {"title": "x" * 81}}, {"fields": {"title": "ok", "seats": 0}},
            {"fields": {"title": "ok", "margin": "1.0"}}, {"title": "no fields wrapper"}]
    response = _bulk(records_api, "sam", {"create": rows})
    assert response.status_code == 422, response.get_json()
    errors = {r["index"]: r for r in response.get_json()["error"]["rows"]}
    assert sorted(errors) == [1, 2, 3, 4]
    assert set(errors[1]["error"]["fields"]) == {"title"} and set(errors[2]["error"]["fields"]) == {"seats"}
    assert set(errors[3]["error"]["fields"]) == {"margin"}  # hidden from staff: not a field they may write
    assert errors[4]["status"] == 400
    assert records_api.get("sam", "/api/v1/records/contract").get_json()["total"] == 0
    events = records_api.get("auditor", "/api/v1/audit", query_string={"kind": "record.created"}).get_json()
    assert events["items"] == []


def test_one_audit_event_per_record_in_the_chain(records_api: Any) -> None:
    response = _bulk(records_api, "sam", {"create": [{"fields": {"title": f"T{i}", "amount": "5"}}
                                                     for i in range(25)]})
    assert response.status_code == 200, response.get_json()
    ids = response.get_json()["created"]
    events = records_api.get("auditor", "/api/v1/audit", query_string={"kind": "record.created",
                                                                        "pageSize": 100}).get_json()["items"]
    assert sorted(int(e["subjectId"].split(":")[1]) for e in events) == sorted(ids)
    assert records_api.get("auditor", "/api/v1/audit/verify").get_json()["ok"] is True
    first = records_api.get("sam", f"/api/v1/records/contract/{ids[0]}").get_json()
    assert first["fields"]["title"] == "T0" and first["fields"]["amount"] == "5.00" and first["version"] == 1


def test_the_single_paths_permissions_hold(records_api: Any) -> None:
    # sally (sales) may only read, and only her own rows
    assert _bulk(records_api, "sally", {"create": [{"fields": {"title": "no"}}]}).status_code == 403
    mine = create(records_api, "sam", title="Sam's", number="N1").get_json()
    refused = _bulk(records_api, "sam", {"update": [{"id": mine["id"], "fields": {"number": "N2"}}]})
    assert refused.status_code == 422, refused.get_json()  # number is read-only for staff on update
    assert refused.get_json()["error"]["rows"][0]["status"] in (403, 422)
    missing = _bulk(records_api, "sam", {"update": [{"id": 999999, "fields": {"title": "x"}}]})
    assert missing.get_json()["error"]["rows"][0]["status"] == 404
    assert records_api.get("sam", f"/api/v1/records/contract/{mine['id']}").get_json()["fields"]["number"] == "N1"


def test_the_compiled_validator_remembers_values_not_verdicts_of_other_fields() -> None:
    import pytest

    from server.errors import FormInvalid
    from server.records.definition import read_definition
    from server.records.values import validator_of
    from tests.records.conftest import contract

    definition = read_definition(contract())
    validator = validator_of(definition)
    assert validator_of(definition) is validator  # compiled once per version
    visible = frozenset(f["key"] for f in definition["fields"])
    for _ in range(2):  # the second time from the memo
        stored = validator.validate({"title": "ok", "region": "north", "seats": 3}, creating=True, visible=visible)
        assert stored["region"] == "north" and stored["seats"] == 3
    with pytest.raises(FormInvalid) as refused:  # a value valid for one field is not valid for another
        validator.validate({"title": "north", "region": "ok", "seats": 501}, creating=True, visible=visible)
    fields = refused.value.details["fields"]
    assert set(fields) == {"region", "seats"} and fields["seats"].code == "maximum"


def test_racing_batches_and_single_creates_share_the_numbers_without_gaps(api: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _tickets(api)
    headers = api.headers("sam")

    def batch(i: int) -> int:
        rows = [{"fields": {"code": f"b{i}-{j}", "qty": 1}} for j in range(10)]
        if i % 3 == 2:  # a refused batch: a code twice
            rows[-1] = {"fields": {"code": f"b{i}-0", "qty": 1}}
        return api.app.test_client().post("/api/v1/records/ticket/bulk", headers=headers,
                                          json={"create": rows}).status_code

    def single(i: int) -> int:
        return api.app.test_client().post("/api/v1/records/ticket", headers=headers,
                                          json={"fields": {"code": f"s{i}", "qty": 1}}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: batch(i) if i < 6 else single(i), range(12)))
    assert sorted(statuses) == [200] * 4 + [201] * 6 + [422] * 2, statuses
    numbers = sorted(n for n, _, _ in _numbers(api))
    assert numbers == [f"T-{n:04d}" for n in range(1, 47)]  # 4 batches of 10 and 6 singles, none skipped
