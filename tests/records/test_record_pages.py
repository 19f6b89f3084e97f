"""The staff pages of records through Flask's test client: list, filter, create, edit (409), delete,
saved views, hidden fields never rendered."""

from __future__ import annotations

from typing import Any


def _create(api: Any, who: str, **fields: Any) -> dict[str, Any]:
    response = api.post(who, "/api/v1/records/contract", json={"fields": fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_list_filters_sorts_and_hides_fields(records_api: Any, browser: Any) -> None:
    big = _create(records_api, "admin", title="Big sofa deal", amount="9000.00", region="north", margin="0.4321")
    _create(records_api, "admin", title="Small table", amount="120.00", region="south", margin="0.1")
    web = browser("sam")
    page = web.get("/records/contract").get_data(as_text=True)
    assert "Big sofa deal" in page and "Small table" in page
    assert "Margin" not in page and "margin" not in page  # hidden: not a column, a control or a chooser
    record_page = web.get(f"/records/contract/{big['id']}").get_data(as_text=True)
    assert "Big sofa deal" in record_page and "Margin" not in record_page and "0.4321" not in record_page
    assert "Margin" not in web.get(f"/records/contract/{big['id']}/edit").get_data(as_text=True)
    filtered = web.get("/records/contract", query_string={"f.amount.min": "5000"}).get_data(as_text=True)
    assert "Big sofa deal" in filtered and "Small table" not in filtered
    by_text = web.get("/records/contract", query_string={"filter": 'region == "south"'}).get_data(as_text=True)
    assert "Small table" in by_text and "Big sofa deal" not in by_text
    bad = web.get("/records/contract", query_string={"filter": "margin > 0"})
    assert bad.status_code == 400 and "no field &#39;margin&#39;" in bad.get_data(as_text=True)
    wrong = web.get("/records/contract", query_string={"f.amount.min": "lots"})
    assert wrong.status_code == 400 and "lots" in wrong.get_data(as_text=True)
    ordered = web.get("/records/contract", query_string={"sort": "amount", "col": ["title"]}).get_data(as_text=True)
    assert ordered.index("Small table") < ordered.index("Big sofa deal")


def test_create_edit_conflict_and_delete(records_api: Any, browser: Any) -> None:
    web = browser("sam")
    form = web.get("/records/contract/new").get_data(as_text=True)
    assert 'name="title"' in form and 'name="margin"' not in form
    refused = web.post("/records/contract/new", {"title": "", "seats": "0"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "is required" in text and "must be at least 1" in text
    created = web.post("/records/contract/new", {"title": "Office chairs", "seats": "12", "amount": "1500.5",
                                                 "region": "north", "lines": ["sofa", "table"]})
    assert created.status_code == 302, created.get_data(as_text=True)
    record_url = created.headers["Location"]
    record = records_api.get("sam", "/api/v1/records/contract/1").get_json()
    assert record["fields"]["amount"] == "1500.50" and record["fields"]["lines"] == ["sofa", "table"]
    edit_url = record_url + "/edit"
    edit_form = web.get(edit_url).get_data(as_text=True)
    assert 'id="f-number"' in edit_form and 'name="title"' in edit_form  # number: shown, read-only for staff
    saved = web.post(edit_url, {"title": "Office chairs", "seats": "14", "version": "1", "region": "north"})
    assert saved.status_code == 302
    after = records_api.get("sam", "/api/v1/records/contract/1").get_json()
    assert after["fields"]["seats"] == 14 and after["fields"]["amount"] is None and after["version"] == 2
    stale = web.post(edit_url, {"title": "Stale", "version": "1"})
    assert stale.status_code == 409 and "Stale" in stale.get_data(as_text=True)
    assert records_api.get("sam", "/api/v1/records/contract/1").get_json()["fields"]["title"] == "Office chairs"
    page = web.get(record_url).get_data(as_text=True)
    assert 'data-testid="record-history"' in page and "14" in page
    deleted = web.post(record_url + "/delete", {"version": "2"}, from_page=record_url + "/delete")
    assert deleted.status_code == 302
    assert records_api.get("sam", "/api/v1/records/contract/1").status_code == 404


def test_saved_views_personal_and_shared(records_api: Any, browser: Any) -> None:
    records_api.user("tom", roles=("staff",))
    _create(records_api, "admin", title="North deal", region="north")
    _create(records_api, "admin", title="South deal", region="south")
    sam, tom = browser("sam"), browser("tom")
    saved = sam.post("/records/contract/views", {"name": "North", "filter": 'region == "north"', "sort": "-amount",
                                                 "col": ["title", "region"]}, from_page="/records/contract")
    assert saved.status_code == 302
    opened = sam.get(saved.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "North deal" in opened and "South deal" not in opened
    assert 'data-view="North"' not in tom.get("/records/contract").get_data(as_text=True)
    shared = sam.post("/records/contract/views", {"name": "Everyone", "filter": "", "shared": "on"},
                      from_page="/records/contract")
    assert shared.status_code == 302
    assert 'data-view="Everyone"' in tom.get("/records/contract").get_data(as_text=True)
    refused = sam.post("/records/contract/views", {"name": "Secret", "filter": "margin > 1"},
                       from_page="/records/contract")
    assert refused.status_code == 302
    assert 'data-view="Secret"' not in sam.get("/records/contract").get_data(as_text=True)


def test_pages_in_chinese(records_api: Any, browser: Any) -> None:
    _create(records_api, "admin", title="沙发合同", region="north")
    web = browser("sam")
    page = web.get("/records/contract", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "标题" in page and "北区" in page


def test_keyset_pages(records_api: Any, browser: Any) -> None:
    import html
    import re

    for number in range(27):
        _create(records_api, "admin", title=f"Deal {number:02d}", seats=number + 1)
    web = browser("sam")
    first = web.get("/records/contract", query_string={"sort": "seats"}).get_data(as_text=True)
    assert first.count('class="record-link"') == 25 and "27 records" in first
    link = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    second = web.get(link).get_data(as_text=True)
    assert second.count('class="record-link"') == 2 and "Deal 25" in second and "Deal 26" in second
    assert 'rel="next"' not in second and 'rel="first"' in second
    assert web.get("/records/contract", query_string={"cursor": "junk"}).status_code == 400
