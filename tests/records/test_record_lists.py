"""Record lists: filters compiled to SQL, multi-key sorts, numbered and keyset pages, bad arguments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.records.conftest import create


@pytest.fixture
def filled(records_api: Any) -> Any:
    for i in range(12):
        response = create(records_api, "sam", title=f"T{i:02}", amount=f"{i * 1000}.00", seats=i + 1,
                          region="north" if i % 2 else "south", signed=i % 3 == 0)
        assert response.status_code == 201, response.get_json()
    return records_api


def _titles(api: Any, **params: Any) -> list[str]:
    response = api.get("sam", "/api/v1/records/contract", query_string=params)
    assert response.status_code == 200, response.get_json()
    return [item["fields"]["title"] for item in response.get_json()["items"]]


def test_a_two_condition_filter_and_a_sort(filled: Any) -> None:
    assert _titles(filled, filter='amount >= 5000 && region == "north"', sort="-amount") == \
        ["T11", "T09", "T07", "T05"]
    assert _titles(filled, filter='region in ["south"] && signed', sort="title") == ["T00", "T06"]
    assert _titles(filled, filter="seats < 3 || seats > 11", sort="-region,title") == ["T00", "T01", "T11"]


def test_numbered_pages_and_keyset_cursors_walk_every_row_once(filled: Any) -> None:
    first = filled.get("sam", "/api/v1/records/contract", query_string={"sort": "region,-amount", "pageSize": 5})
    body = first.get_json()
    assert body["total"] == 12 and body["page"] == 1 and len(body["items"]) == 5
    seen = [i["fields"]["title"] for i in body["items"]]
    cursor = body["nextCursor"]
    while cursor:
        page = filled.get("sam", "/api/v1/records/contract",
                          query_string={"sort": "region,-amount", "pageSize": 5, "cursor": cursor}).get_json()
        seen += [i["fields"]["title"] for i in page["items"]]
        cursor = page["nextCursor"]
    assert seen == [f"T{i:02}" for i in (11, 9, 7, 5, 3, 1, 10, 8, 6, 4, 2, 0)]
    page3 = _titles(filled, sort="region,-amount", pageSize=5, page=3)
    assert page3 == seen[10:]


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"filter": "nope > 1"}, "filter", "no field 'nope'"),
    ({"filter": "margin > 1"}, "filter", "no field 'margin'"),  # hidden from staff: as if it did not exist
    ({"filter": "amount + 1 > 5"}, "filter", ""),
    ({"filter": "amount >"}, "filter", "not a valid expression"),
    ({"filter": "1; DROP TABLE rec_contract"}, "filter", ""),
    ({"sort": "margin"}, "sort", "no field 'margin'"),
    ({"sort": "-amount,-amount"}, "sort", "twice"),
    ({"cursor": "garbage"}, "cursor", "not valid"),
    ({"pageSize": "0"}, "pageSize", ""),
    ({"colour": "red"}, "colour", "unknown query parameter"),
])
def test_bad_list_arguments_are_a_400_naming_them(filled: Any, params: dict[str, str], field: str,
                                                   words: str) -> None:
    response = filled.get("sam", "/api/v1/records/contract", query_string=params)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field and words in error["message"], error
    assert "margin" not in error["message"] or params.get("filter", params.get("sort", "")).find("margin") >= 0
    assert "margin" not in error["message"].split("(fields:")[-1]


def test_a_cursor_from_another_sort_is_refused(filled: Any) -> None:
    cursor = filled.get("sam", "/api/v1/records/contract",
                        query_string={"sort": "title", "pageSize": 2}).get_json()["nextCursor"]
    response = filled.get("sam", "/api/v1/records/contract", query_string={"sort": "-title", "cursor": cursor})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "cursor"


def test_unknown_type_is_a_404(filled: Any) -> None:
    assert filled.get("sam", "/api/v1/records/nothing").status_code == 404
