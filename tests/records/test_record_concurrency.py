"""Concurrent writers: the database, not a check-then-insert, keeps unique values and versions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _parallel(api: Any, calls: list[Any]) -> list[int]:
    def run(call: Any) -> int:
        client = api.app.test_client()
        return call(client).status_code

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_racing_creates_of_one_unique_value_leave_one_record(records_api: Any) -> None:
    headers = records_api.headers("sam")
    calls = [lambda c, i=i: c.post("/api/v1/records/contract", headers=headers,
                                   json={"fields": {"title": f"T{i}", "number": "SAME"}}) for i in range(8)]
    statuses = _parallel(records_api, calls)
    assert sorted(statuses) == [201] + [422] * 7, statuses
    assert records_api.get("sam", "/api/v1/records/contract").get_json()["total"] == 1


def test_racing_patches_of_one_version_let_one_win(records_api: Any) -> None:
    record = records_api.post("sam", "/api/v1/records/contract", json={"fields": {"title": "A"}}).get_json()
    url = f"/api/v1/records/contract/{record['id']}"
    headers = records_api.headers("sam")
    calls = [lambda c, i=i: c.patch(url, headers=headers, json={"fields": {"title": f"B{i}"}, "version": 1})
             for i in range(6)]
    statuses = _parallel(records_api, calls)
    assert sorted(statuses) == [200] + [409] * 5, statuses
    final = records_api.get("sam", url).get_json()
    assert final["version"] == 2
    history = records_api.get("sam", url + "/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated"]


def test_twenty_racing_creates_get_gap_free_auto_numbers_and_one_unique_value(api: Any) -> None:
    """20 clients at once, half of them with the same unique name: no number twice, none skipped."""
    from tests.records.linked import types

    api.user("sam", roles=("staff",))
    types(api)
    headers = api.headers("sam")
    calls = [lambda c, i=i: c.post("/api/v1/records/customer", headers=headers,
                                   json={"fields": {"name": "SAME" if i % 2 else f"C{i}"}}) for i in range(20)]
    statuses = _parallel(api, calls)
    assert sorted(statuses) == [201] * 11 + [422] * 9, statuses
    orders = [lambda c: c.post("/api/v1/records/order", headers=headers, json={"fields": {}})
              for _ in range(20)] + [lambda c: c.post("/api/v1/records/order", headers=headers,
                                                      json={"fields": {"customer": 10**6}}) for _ in range(5)]
    statuses = _parallel(api, orders)
    assert sorted(statuses) == [201] * 20 + [422] * 5, statuses
    numbers = sorted(o["fields"]["number"][-4:] for o in api.get("sam", "/api/v1/records/order",
                                                                 query_string={"pageSize": 100}).get_json()["items"])
    assert numbers == [f"{n:04d}" for n in range(1, 21)]
