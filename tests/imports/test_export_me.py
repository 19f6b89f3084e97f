"""An export's filter is the list's: ``$me`` is the exporting user, a per-record-currency amount is filtered
and sorted by its currency, a relation's path reads the other type; what the list refuses, the export refuses."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest

TASK: dict[str, Any] = {
    "key": "chore", "name": {"en": "Chore", "zh": "杂务"},
    "fields": [
        {"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text", "required": True},
        {"key": "owner", "label": {"en": "Owner", "zh": "负责人"}, "type": "user"},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currencies": ["CNY", "USD"]},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "export"]},
                    {"users": ["olga"], "actions": ["read"]}],
}


@pytest.fixture
def chores(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("ann", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=TASK).status_code == 201
    for title, owner, price in (("sweep", "sam", {"amount": "120.00", "currency": "USD"}),
                                ("mop", "ann", {"amount": "300.00", "currency": "USD"}),
                                ("dust", "sam", {"amount": "50.00", "currency": "CNY"})):
        response = api.post("sam", "/api/v1/records/chore",
                            json={"fields": {"title": title, "owner": owner, "price": price}})
        assert response.status_code == 201, response.get_json()
    return api


def _titles(api: Any, who: str, **query: str) -> list[str]:
    response = api.get(who, "/api/v1/records/chore/export", query_string={"format": "csv", **query})
    assert response.status_code == 200, response.get_json()
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return [row[rows[0].index("Title")] for row in rows[1:]]


def test_me_in_an_export_filter_is_the_exporting_user(chores: Any) -> None:
    assert _titles(chores, "sam", filter="owner == $me", sort="title") == ["dust", "sweep"]
    assert _titles(chores, "ann", filter="owner == $me") == ["mop"]
    assert _titles(chores, "ann", filter="created_by == $me.username") == []


def test_a_saved_view_with_me_exports_what_its_list_shows(chores: Any) -> None:
    saved = chores.post("sam", "/api/v1/records/chore/views",
                        json={"name": "mine", "filter": "owner == $me", "sort": "-title", "shared": True})
    assert saved.status_code == 200, saved.get_json()
    view = saved.get_json()
    listed = chores.get("ann", "/api/v1/records/chore", query_string={"filter": view["filter"]}).get_json()
    exported = _titles(chores, "ann", filter=view["filter"], sort=view["sort"])
    assert exported == [r["fields"]["title"] for r in listed["items"]] == ["mop"]


def test_per_currency_amounts_filter_and_sort_an_export(chores: Any) -> None:
    assert _titles(chores, "sam", filter='price.currency == "USD" && price.USD > 100', sort="-price") == \
        ["mop", "sweep"]
    refused = chores.get("sam", "/api/v1/records/chore/export", query_string={"filter": "price > 100"})
    assert refused.status_code == 400 and "several currencies" in refused.get_json()["error"]["message"]
    unknown = chores.get("sam", "/api/v1/records/chore/export", query_string={"filter": "$me.shoe == 1"})
    assert unknown.status_code == 400 and "no attribute of the user" in unknown.get_json()["error"]["message"]


def test_the_grid_exports_the_view_it_shows_for_whoever_exports(chores: Any, browser: Any) -> None:
    saved = chores.post("sam", "/api/v1/records/chore/views",
                        json={"name": "mine", "filter": "owner == $me", "sort": "title", "shared": True})
    web = browser("ann")
    page = web.get(f"/records/chore?view={saved.get_json()['id']}", follow_redirects=True)
    text = html.unescape(page.get_data(as_text=True))
    link = re.search(r'href="([^"]*export\.csv[^"]*)"\s+data-testid="export-list-csv"', text)
    assert link is not None and "filter=owner+%3D%3D+$me" in link.group(1), text[:3000]
    exported = web.get(link.group(1))
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [row[rows[0].index("Title")] for row in rows[1:]] == ["mop"]  # ann's, not sam's who saved it


def test_no_export_link_for_who_may_not_export(chores: Any, browser: Any) -> None:
    chores.user("olga", roles=())
    page = browser("olga").get("/records/chore").get_data(as_text=True)
    assert 'data-testid="records"' in page and 'data-testid="export-list-csv"' not in page
