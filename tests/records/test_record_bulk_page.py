"""Bulk edit and delete of selected rows on the grid page: only with ``bulk``, CSRF, all or nothing, each
refused row named by its record, English and Chinese."""

from __future__ import annotations

import html
from typing import Any

from tests.conftest import CSRF


def _make(api: Any, title: str, **fields: Any) -> dict[str, Any]:
    response = api.post("sam", "/api/v1/records/contract", json={"fields": {"title": title, **fields}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _fields(api: Any, record_id: int) -> dict[str, Any]:
    return api.get("sam", f"/api/v1/records/contract/{record_id}").get_json()["fields"]


def _post(web: Any, data: dict[str, Any], **kw: Any) -> Any:
    return web.post("/records/contract/bulk", data, from_page="/records/contract", follow_redirects=True, **kw)


def _rows(*records: dict[str, Any]) -> dict[str, Any]:
    return {"row": [str(r["id"]) for r in records], **{f"version.{r['id']}": str(r["version"]) for r in records}}


def test_bulk_edit_sets_a_field_on_the_selected_rows_and_clears_with_an_empty_value(records_api: Any,
                                                                                      browser: Any) -> None:
    a, b, c = (_make(records_api, t, seats=3, region="north") for t in ("A", "B", "C"))
    web = browser("sam")
    page = web.get("/records/contract").get_data(as_text=True)
    assert 'data-testid="bulk-form"' in page and f'name="row" value="{a["id"]}"' in page
    assert 'value="margin"' not in page and 'name="value.number"' not in page  # hidden / read-only on update
    done = _post(web, {**_rows(a, b), "action": "edit", "field": "region", "value.region": "south"})
    assert done.status_code == 200 and "2 records changed." in done.get_data(as_text=True)
    assert [_fields(records_api, r["id"])["region"] for r in (a, b, c)] == ["south", "south", "north"]
    history = records_api.get("sam", f"/api/v1/records/contract/{a['id']}/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated"]
    a, b = (records_api.get("sam", f"/api/v1/records/contract/{r['id']}").get_json() for r in (a, b))
    cleared = _post(web, {**_rows(a, b), "action": "edit", "field": "seats", "value.seats": ""})
    assert "2 records changed." in cleared.get_data(as_text=True)
    assert _fields(records_api, a["id"]).get("seats") is None


def test_a_refused_row_refuses_all_and_is_named(records_api: Any, browser: Any) -> None:
    a, b = _make(records_api, "A", seats=3), _make(records_api, "B", seats=3)
    web = browser("sam")
    stale = {**_rows(a, b), f"version.{b['id']}": "7"}
    refused = _post(web, {**stale, "action": "edit", "field": "seats", "value.seats": "0"})
    text = html.unescape(refused.get_data(as_text=True))
    assert "Nothing was changed" in text and f"Record {a['id']}: Seats: must be at least 1" in text
    assert f"Record {b['id']}:" in text
    assert _fields(records_api, a["id"])["seats"] == 3 and _fields(records_api, b["id"])["seats"] == 3
    zh = _post(web, {**stale, "action": "edit", "field": "seats", "value.seats": "0"},
               headers={"Accept-Language": "zh-CN"})
    assert f"记录 {a['id']}" in html.unescape(zh.get_data(as_text=True))


def test_bulk_delete_and_who_may_use_it(records_api: Any, browser: Any) -> None:
    a, b, c = (_make(records_api, t) for t in ("A", "B", "C"))
    reader = browser("sally")  # may read some rows, not bulk: no form, and the endpoint refuses
    assert 'data-testid="bulk-form"' not in reader.get("/records/contract").get_data(as_text=True)
    page = reader.get("/records/contract").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    refused = reader.client.post("/records/contract/bulk", data={**_rows(a), "action": "delete", "csrf_token": token})
    assert refused.status_code in (403, 404)
    web = browser("sam")
    no_csrf = web.client.post("/records/contract/bulk", data={**_rows(a), "action": "delete"})
    assert no_csrf.status_code == 400
    done = _post(web, {**_rows(a, b), "action": "delete"})
    assert "2 records deleted." in done.get_data(as_text=True)
    listing = records_api.get("sam", "/api/v1/records/contract").get_json()
    assert [r["id"] for r in listing["items"]] == [c["id"]]
    nothing = _post(web, {"action": "delete"})
    assert "Nothing was changed" in nothing.get_data(as_text=True)
    zh = web.get("/records/contract", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "删除所选" in zh
