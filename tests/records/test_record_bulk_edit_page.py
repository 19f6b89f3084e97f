"""The grid's bulk form for list, user, group and relation fields, and for all records matching the list's
filter (beyond the page): what it changes, what it names as refused, in English and Chinese."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.records.test_record_bulk_edit import LINKED, PROJECT, TASK


def _setup(api: Any) -> None:
    api.user("sam", roles=("staff",), groups=("crew",))
    api.user("ann", roles=("staff",), groups=("crew",))
    for body in (PROJECT, TASK, LINKED):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201


def _bulk_create(api: Any, who: str, type_key: str, rows: list[dict[str, Any]]) -> list[int]:
    made = api.post(who, f"/api/v1/records/{type_key}/bulk", json={"create": [{"fields": r} for r in rows]})
    assert made.status_code == 200, made.get_json()
    return list(made.get_json()["created"])


def _fields(api: Any, type_key: str, record_id: int) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/records/{type_key}/{record_id}").get_json()["fields"]


def _post(web: Any, type_key: str, data: dict[str, Any], page: str, **kw: Any) -> str:
    answer = web.post(f"/records/{type_key}/bulk", data, from_page=page, follow_redirects=True, **kw)
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


def test_the_form_adds_options_and_sets_users_and_relations_on_the_selected(api: Any, browser: Any) -> None:
    _setup(api)
    project = api.post("admin", "/api/v1/records/project", json={"fields": {"name": "p"}}).get_json()["id"]
    one, two = _bulk_create(api, "sam", "task", [{"title": "a", "tags": ["a"]}, {"title": "b"}])
    web = browser("sam")
    page = web.get("/records/task").get_data(as_text=True)
    assert 'data-testid="bulk-mode-tags"' in page and 'name="value.helpers"' in page
    assert 'name="value.steps"' not in page  # a sub-table is edited on the record's page
    rows = {"row": [str(one), str(two)], "action": "edit"}
    text = _post(web, "task", {**rows, "field": "tags", "mode.tags": "add", "value.tags": ["b", "c"]}, "/records/task")
    assert "2 records changed." in text
    assert sorted(_fields(api, "task", one)["tags"]) == ["a", "b", "c"]
    _post(web, "task", {**rows, "field": "tags", "mode.tags": "remove", "value.tags": ["a"]}, "/records/task")
    assert sorted(_fields(api, "task", one)["tags"]) == ["b", "c"]
    _post(web, "task", {**rows, "field": "helpers", "mode.helpers": "add", "value.helpers": "ann, sam"},
          "/records/task")
    assert _fields(api, "task", two)["helpers"] == ["ann", "sam"]
    _post(web, "task", {**rows, "field": "owner", "value.owner": "ann"}, "/records/task")
    _post(web, "task", {**rows, "field": "project", "value.project": str(project)}, "/records/task")
    assert (_fields(api, "task", one)["owner"], _fields(api, "task", one)["project"]) == ("ann", project)
    refused = _post(web, "task", {**rows, "field": "owner", "value.owner": "nobody"}, "/records/task")
    assert "Nothing was changed" in refused and f"Record {one}:" in refused


def test_all_matching_records_beyond_the_page_and_the_refused_named(api: Any, browser: Any) -> None:
    _setup(api)
    mine = _bulk_create(api, "sam", "task", [{"title": f"x{i:02d}"} for i in range(27)])
    theirs = _bulk_create(api, "admin", "task", [{"title": "x-admin"}])
    _bulk_create(api, "sam", "task", [{"title": "other"}])
    web = browser("sam")
    url = "/records/task?filter=title%7CstartsWith(%27x%27)"
    page = html.unescape(web.get(url).get_data(as_text=True))
    assert "All 28 records matching this filter" in page
    hidden = re.search(r'name="filter" value="([^"]*)"', page)
    assert hidden is not None and hidden.group(1) == "title|startsWith('x')"
    text = _post(web, "task", {"action": "edit", "scope": "matching", "filter": hidden.group(1), "field": "tags",
                               "mode.tags": "add", "value.tags": ["c"]}, url)
    assert "27 records changed." in text and "1 of 28 matching records were refused" in text
    assert f"Record {theirs[0]}:" in text
    assert all(_fields(api, "task", i)["tags"] == ["c"] for i in (mine[0], mine[-1]))
    assert not _fields(api, "task", theirs[0]).get("tags")
    zh = _post(web, "task", {"action": "edit", "scope": "matching", "filter": hidden.group(1), "field": "tags",
                             "mode.tags": "remove", "value.tags": ["c"]}, url, headers={"Accept-Language": "zh-CN"})
    assert "27 条记录已更改" in zh or "已更改 27 条记录" in zh, zh[:2000]
    assert "与筛选匹配" in html.unescape(web.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
