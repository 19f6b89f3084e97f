"""Relations to many records: link tables, the list of ids in the API, on-delete rules, rollups, filters."""

from __future__ import annotations

from typing import Any

import pytest

from server.expressions import filter_matches
from tests.records.linked import label

PART = {"key": "part", "name": label("Part"), "fields": [
    {"key": "name", "label": label("Name"), "type": "text", "required": True},
    {"key": "cost", "label": label("Cost"), "type": "money", "currency": "CNY"}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]}]}
BUILD = {"key": "build", "name": label("Build"), "fields": [
    {"key": "title", "label": label("Title"), "type": "text", "required": True},
    {"key": "needs", "label": label("Needs"), "type": "relation", "target": "part", "multiple": True,
     "onDelete": "restrict"},
    {"key": "spares", "label": label("Spares"), "type": "relation", "target": "part", "multiple": True,
     "onDelete": "set_null"},
    {"key": "kit", "label": label("Kit"), "type": "relation", "target": "part", "multiple": True,
     "onDelete": "cascade"},
    {"key": "tags", "label": label("Tags"), "type": "multi_select",
     "options": [{"value": "red", "label": label("Red")}, {"value": "blue", "label": label("Blue")},
                 {"value": "green", "label": label("Green")}]},
    {"key": "helpers", "label": label("Helpers"), "type": "user", "multiple": True}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "delete"]}]}
PART_ROLLUPS = {**PART, "fields": [*PART["fields"],
                                   {"key": "used_in", "label": label("Used in"), "type": "rollup", "source": "build",
                                    "via": "needs", "function": "count"}]}


@pytest.fixture
def builds(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("sue", roles=("staff",))
    for definition in (PART, BUILD, PART_ROLLUPS):
        response = api.client.put(f"/api/v1/record-types/{definition['key']}", headers=api.headers("modeler"),
                                  json=definition)
        assert response.status_code in (200, 201), response.get_json()
    return api


def make(api: Any, type_key: str, **fields: Any) -> dict[str, Any]:
    response = api.post("sam", f"/api/v1/records/{type_key}", json={"fields": fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def patch(api: Any, type_key: str, record: dict[str, Any], **fields: Any) -> Any:
    return api.client.patch(f"/api/v1/records/{type_key}/{record['id']}", headers=api.headers("sam"),
                            json={"fields": fields, "version": record["version"]})


def test_links_round_trip_are_checked_and_roll_up(builds: Any) -> None:
    a, b, c = (make(builds, "part", name=n, cost="1.00")["id"] for n in "abc")
    build = make(builds, "build", title="Chair", needs=[c, a], spares=[b])
    assert build["fields"]["needs"] == [a, c] and build["fields"]["spares"] == [b] and build["fields"]["kit"] == []
    changed = patch(builds, "build", build, needs=[b, c])
    assert changed.status_code == 200 and changed.get_json()["fields"]["needs"] == [b, c]
    assert changed.get_json()["version"] == 2
    history = builds.get("sam", f"/api/v1/records/build/{build['id']}/history").get_json()["items"]
    assert history[1]["changes"]["needs"] == {"old": [a, c], "new": [b, c]}
    same = patch(builds, "build", changed.get_json(), needs=[c, b])
    assert same.get_json()["version"] == 2  # the same set: nothing written
    missing = builds.post("sam", "/api/v1/records/build", json={"fields": {"title": "X", "needs": [a, 9999]}})
    assert missing.status_code == 422 and "9999" in missing.get_json()["error"]["fields"]["needs"]
    for bad in ([a, a], "1", [0], ["x"]):
        response = builds.post("sam", "/api/v1/records/build", json={"fields": {"title": "X", "needs": bad}})
        assert response.status_code == 422 and "needs" in str(response.get_json()["error"]["fields"]), bad
    part = builds.get("sam", f"/api/v1/records/part/{c}").get_json()
    assert part["fields"]["used_in"] == 1
    make(builds, "build", title="Table", needs=[c])
    assert builds.get("sam", f"/api/v1/records/part/{c}").get_json()["fields"]["used_in"] == 2
    listed = builds.get("sam", "/api/v1/records/build", query_string={"sort": "id"}).get_json()["items"]
    assert [r["fields"]["needs"] for r in listed] == [[b, c], [c]]


def test_on_delete_restrict_unlink_and_cascade(builds: Any) -> None:
    a, b, c = (make(builds, "part", name=n)["id"] for n in "abc")
    build = make(builds, "build", title="Chair", needs=[a], spares=[a, b], kit=[c])
    refused = builds.client.delete(f"/api/v1/records/part/{a}", headers=builds.headers("sam"))
    assert refused.status_code == 409 and "needs" in refused.get_json()["error"]["message"]
    assert patch(builds, "build", build, needs=[]).status_code == 200
    assert builds.client.delete(f"/api/v1/records/part/{a}", headers=builds.headers("sam")).status_code == 204
    after = builds.get("sam", f"/api/v1/records/build/{build['id']}").get_json()
    assert after["fields"]["spares"] == [b] and after["version"] == 3  # unlinked, audited as a change
    history = builds.get("sam", f"/api/v1/records/build/{build['id']}/history").get_json()["items"]
    assert history[-1]["changes"] == {"spares": {"old": [a, b], "new": [b]}}
    assert builds.client.delete(f"/api/v1/records/part/{c}", headers=builds.headers("sam")).status_code == 204
    assert builds.get("sam", f"/api/v1/records/build/{build['id']}").status_code == 404  # cascaded
    assert builds.client.delete(f"/api/v1/records/part/{b}", headers=builds.headers("sam")).status_code == 204


def test_a_many_relation_cannot_be_unique_nor_looked_up_and_keeps_its_target(builds: Any) -> None:
    bad = {**BUILD, "fields": [*BUILD["fields"][:1], {**BUILD["fields"][1], "unique": True}]}
    response = builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"), json=bad)
    assert response.status_code == 400 and "cannot be unique" in response.get_json()["error"]["message"]
    lookup = {**BUILD, "fields": [*BUILD["fields"], {"key": "part_name", "label": label("Part"), "type": "lookup",
                                                     "relation": "needs", "field": "name"}]}
    response = builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"), json=lookup)
    assert response.status_code == 400 and "several records" in response.get_json()["error"]["message"]
    retarget = {**BUILD, "fields": [{**f, "target": "build"} if f["key"] == "needs" else f for f in BUILD["fields"]]}
    response = builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"), json=retarget)
    assert response.status_code == 400 and "needs" in response.get_json()["error"]["message"]
    schema = builds.get("sam", "/api/v1/record-types/build/schema").get_json()
    assert schema["properties"]["needs"]["type"] == "array" and schema["properties"]["needs"]["items"]["x-ref"] \
        == "record:part"


@pytest.mark.parametrize(("expression", "titles"), [
    ("needs|contains({a})", ["one", "both"]),
    ("{b} in needs", ["two", "both"]),
    ("needs|containsAny([{a}, {b}])", ["one", "two", "both"]),
    ("needs|containsAll([{a}, {b}])", ["both"]),
    ("!(needs|contains({a}))", ["two", "none"]),
    ("tags|contains('red')", ["one", "both"]),
    ("'blue' in tags", ["two", "both"]),
    ("tags|containsAny(['red', 'green'])", ["one", "both"]),
    ("tags|containsAll(['red', 'blue'])", ["both"]),
    ("tags|containsAll([])", ["one", "two", "both"]),
    ("tags|containsAny([])", []),
    ("!(tags|containsAny(['red']))", ["two", "none"]),
    ("helpers|contains('sue') && title != 'one'", ["both"]),
    ("helpers|contains($me)", ["one"]),
    ("tags == null", ["none"]),
])
def test_list_filters_compile_to_sql(builds: Any, expression: str, titles: list[str]) -> None:
    a, b = (make(builds, "part", name=n)["id"] for n in "ab")
    make(builds, "build", title="one", needs=[a], tags=["red"], helpers=["sam", "sue"])
    make(builds, "build", title="two", needs=[b], tags=["blue"])
    make(builds, "build", title="both", needs=[a, b], tags=["red", "blue"], helpers=["sue"])
    make(builds, "build", title="none")
    text = expression.replace("{a}", str(a)).replace("{b}", str(b))
    response = builds.get("sam", "/api/v1/records/build", query_string={"filter": text, "sort": "id"})
    assert response.status_code == 200, response.get_json()
    assert [r["fields"]["title"] for r in response.get_json()["items"]] == titles
    if "$me" not in text:  # the SQL selects exactly what Python evaluation of the same text accepts
        every = builds.get("sam", "/api/v1/records/build", query_string={"sort": "id"}).get_json()["items"]
        assert [r["fields"]["title"] for r in every if filter_matches(text, r["fields"])] == titles


@pytest.mark.parametrize(("expression", "words"), [
    ("tags|containsAny('red')", "a list"),
    ("tags|containsAll([1])", "tags"),
    ("needs|contains('x')", "needs"),
    ("tags > 3", "tags"),
    ("title|containsAny(['a'])", "title"),
])
def test_a_wrong_list_filter_is_a_400_naming_it(builds: Any, expression: str, words: str) -> None:
    response = builds.get("sam", "/api/v1/records/build", query_string={"filter": expression})
    assert response.status_code == 400, response.get_json()
    assert words in response.get_json()["error"]["message"]


def test_pages_link_related_records_both_ways_and_filter_lists(builds: Any, browser: Any) -> None:
    a, b = (make(builds, "part", name=n)["id"] for n in ("Oak", "Pine"))
    one = make(builds, "build", title="Chair", needs=[a], tags=["red"], helpers=["sam"])
    make(builds, "build", title="Table", needs=[a, b], tags=["red", "blue"])
    web = browser("sam")
    page = web.get(f"/records/build/{one['id']}").get_data(as_text=True)
    assert f'href="/records/part/{a}"' in page and f"#{a} Oak" in page
    target = web.get(f"/records/part/{a}").get_data(as_text=True)
    assert 'data-testid="incoming"' in target and "Chair" in target and "Table" in target
    form = web.get("/records/build/new").get_data(as_text=True)
    assert 'data-record-picker="/records/build/fields/needs/choices"' in form and 'data-multiple="true"' in form
    created = web.post("/records/build/new", {"title": "Desk", "needs": [str(a), str(b)], "tags": "blue"},
                       from_page="/records/build/new")
    assert created.status_code == 302, created.get_data(as_text=True)
    desk = builds.get("sam", "/api/v1/records/build", query_string={"filter": "title == 'Desk'"}).get_json()
    assert desk["items"][0]["fields"]["needs"] == [a, b]
    both = web.get("/records/build", query_string={"f.tags": ["red", "blue"], "f.tags.mode": "all"})
    html = both.get_data(as_text=True)
    assert both.status_code == 200 and "Table" in html and "Chair" not in html
    some = web.get("/records/build", query_string={"f.tags": ["blue"], "f.tags.mode": "any"}).get_data(as_text=True)
    assert "Table" in some and "Desk" in some and "Chair" not in some
    mine = web.get("/records/build", query_string={"f.helpers": "me"}).get_data(as_text=True)
    assert "Chair" in mine and "Table" not in mine
    wrong = web.get("/records/build", query_string={"f.tags": ["purple"]})
    assert wrong.status_code == 400 and "purple" in wrong.get_data(as_text=True)


def test_related_records_and_file_history_in_chinese(builds: Any, browser: Any) -> None:
    a = make(builds, "part", name="Oak")["id"]
    make(builds, "build", title="Chair", needs=[a])
    page = browser("sam").get(f"/records/part/{a}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "关联到此记录的记录" in page and "Needs（中）" in page
    listing = browser("sam").get("/records/build", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "包含任一项" in listing and "包含全部项" in listing


def test_export_writes_the_linked_ids(builds: Any) -> None:
    a, b = (make(builds, "part", name=n)["id"] for n in "ab")
    make(builds, "build", title="Chair", needs=[b, a])
    response = builds.get("admin", "/api/v1/records/build/export", query_string={"format": "csv",
                                                                                 "fields": "title,needs"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert f'Chair,"{a}, {b}"' in response.get_data(as_text=True)


def test_a_removed_many_relation_keeps_its_links_until_purged(builds: Any) -> None:
    from sqlalchemy import inspect

    a = make(builds, "part", name="a")["id"]
    build = make(builds, "build", title="Chair", kit=[a])
    without = {**BUILD, "fields": [f for f in BUILD["fields"] if f["key"] != "kit"]}
    assert builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"),
                             json=without).status_code == 201
    assert "kit" not in builds.get("sam", f"/api/v1/records/build/{build['id']}").get_json()["fields"]
    back = builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"), json=BUILD)
    assert back.status_code == 201
    assert builds.get("sam", f"/api/v1/records/build/{build['id']}").get_json()["fields"]["kit"] == [a]
    builds.client.put("/api/v1/record-types/build", headers=builds.headers("modeler"), json=without)
    assert builds.post("admin", "/api/v1/record-types/build/purge", json={"field": "kit"}).status_code == 200
    engine = builds.app.extensions["boms_db"].engine
    assert "lnk_build_kit" not in inspect(engine).get_table_names()
    assert builds.client.delete(f"/api/v1/records/part/{a}", headers=builds.headers("sam")).status_code == 204


def test_a_target_deleted_while_linking_is_refused_by_the_foreign_key_naming_the_field(
        builds: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.records import service

    real, calls = service.check_references, []

    def late(*args: Any) -> None:  # the first check passes as if the target still existed: a race lost
        calls.append(1)
        if len(calls) > 1:
            real(*args)

    monkeypatch.setattr(service, "check_references", late)
    response = builds.post("sam", "/api/v1/records/build", json={"fields": {"title": "X", "needs": [424242]}})
    assert response.status_code == 422, response.get_json()
    assert "424242" in response.get_json()["error"]["fields"]["needs"]
    assert builds.get("sam", "/api/v1/records/build").get_json()["items"] == []
