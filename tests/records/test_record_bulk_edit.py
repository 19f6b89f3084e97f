"""Bulk edit beyond plain fields — multi-select add/remove/set, users, groups, relations to one and many —
for chosen records (all or nothing) and for all records matching a filter (in batches, each record checked
for permissions and row scope, the refused ones reported and left unchanged, one audit event per change)."""

from __future__ import annotations

from typing import Any

import pytest

from server.records import bulk_edit
from tests.records.linked import label

PROJECT = {"key": "project", "name": label("Project"),
           "fields": [{"key": "name", "label": label("Name"), "type": "text"}],
           "permissions": [{"roles": ["staff"], "actions": ["read"]}]}
TASK: dict[str, Any] = {
    "key": "task", "name": label("Task"),
    "fields": [
        {"key": "title", "label": label("Title"), "type": "text"},
        {"key": "tags", "label": label("Tags"), "type": "multi_select",
         "options": [{"value": v, "label": label(v)} for v in ("a", "b", "c")]},
        {"key": "owner", "label": label("Owner"), "type": "user"},
        {"key": "helpers", "label": label("Helpers"), "type": "user", "multiple": True},
        {"key": "team", "label": label("Team"), "type": "group"},
        {"key": "project", "label": label("Project"), "type": "relation", "target": "project",
         "onDelete": "set_null"},
        {"key": "steps", "label": label("Steps"), "type": "sub_table",
         "fields": [{"key": "what", "label": label("What"), "type": "text"}]},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "bulk"]},
                    {"roles": ["staff"], "actions": ["update", "delete"], "rows": {"kind": "own",
                                                                                   "field": "created_by"}}],
}
LINKED = {**TASK, "key": "linked_task", "fields": [
    *TASK["fields"][:2], {"key": "deps", "label": label("Depends on"), "type": "relation", "target": "project",
                          "multiple": True, "onDelete": "set_null"}]}


def _edit(api: Any, who: str, body: dict[str, Any], type_key: str = "task") -> Any:
    return api.post(who, f"/api/v1/records/{type_key}/bulk-edit", json=body)


def _made(api: Any, who: str, type_key: str, **fields: Any) -> int:
    made = api.post(who, f"/api/v1/records/{type_key}", json={"fields": fields})
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def _fields(api: Any, record_id: int, type_key: str = "task") -> dict[str, Any]:
    return api.get("admin", f"/api/v1/records/{type_key}/{record_id}").get_json()["fields"]


@pytest.fixture
def tasks(api: Any) -> Any:
    api.user("sam", roles=("staff",), groups=("crew",))
    api.user("ann", roles=("staff",), groups=("crew",))
    for body in (PROJECT, TASK, LINKED):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201
    return api


def test_chosen_records_take_list_user_group_and_relation_changes(tasks: Any) -> None:
    project = _made(tasks, "admin", "project", name="p")
    one = _made(tasks, "sam", "task", title="t1", tags=["a"], helpers=["ann"])
    two = _made(tasks, "sam", "task", title="t2", tags=["b", "c"])
    done = _edit(tasks, "sam", {"ids": [one, two], "add": {"tags": ["c"], "helpers": ["sam"]},
                                "set": {"owner": "ann", "team": "crew", "project": project}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["changed"] == 2
    first, second = _fields(tasks, one), _fields(tasks, two)
    assert sorted(first["tags"]) == ["a", "c"] and sorted(second["tags"]) == ["b", "c"]
    assert sorted(first["helpers"]) == ["ann", "sam"] and second["helpers"] == ["sam"]
    assert (first["owner"], first["team"], first["project"]) == ("ann", "crew", project)
    removed = _edit(tasks, "sam", {"ids": [one, two], "remove": {"tags": ["c", "a"]}})
    assert removed.status_code == 200
    assert _fields(tasks, one)["tags"] == [] and _fields(tasks, two)["tags"] == ["b"]
    history = tasks.get("admin", f"/api/v1/records/task/{one}/history").get_json()["items"]
    assert [e["kind"] for e in history] == ["record.created", "record.updated", "record.updated"]
    assert history[-1]["changes"]["tags"] == {"old": ["a", "c"], "new": []}


def test_chosen_records_are_all_or_nothing_and_name_the_refused(tasks: Any) -> None:
    mine = _made(tasks, "sam", "task", title="mine")
    theirs = _made(tasks, "admin", "task", title="theirs")
    refused = _edit(tasks, "sam", {"ids": [mine, theirs], "set": {"owner": "ann"}})
    assert refused.status_code == 422, refused.get_json()
    [row] = refused.get_json()["error"]["rows"]
    assert row["id"] == theirs and row["status"] in (403, 404)
    assert _fields(tasks, mine).get("owner") is None
    stale = _edit(tasks, "sam", {"ids": [mine], "versions": {str(mine): 7}, "set": {"owner": "ann"}})
    assert stale.status_code == 422 and stale.get_json()["error"]["rows"][0]["status"] == 409


def test_what_is_not_edited_in_bulk_is_refused_naming_the_field(tasks: Any) -> None:
    one = _made(tasks, "sam", "task", title="t")
    for body, field in (({"ids": [one], "set": {"steps": []}}, "steps"),
                        ({"ids": [one], "add": {"owner": ["ann"]}}, "owner"),
                        ({"ids": [one], "set": {"nope": 1}}, "nope"),
                        ({"ids": [one], "set": {"tags": ["a"]}, "add": {"tags": ["b"]}}, "tags"),
                        ({"filter": "title == 't'", "set": {"title": "x"}}, "all"),
                        ({"ids": [one], "surprise": 1}, "surprise"),
                        ({"ids": [one], "add": {"tags": [["a"]]}}, "tags"),
                        ({"ids": [one], "remove": {"helpers": [{"name": "ann"}]}}, "helpers"),
                        ({"all": True, "add": {"helpers": [None]}}, "helpers"),
                        ({"all": True, "add": {"tags": ["a"] * 5000}}, "tags"),
                        ({"all": True, "set": {"helpers": [f"u{i}" for i in range(5000)]}}, "helpers")):
        answer = _edit(tasks, "sam", body)
        assert answer.status_code == 400, (body, answer.get_json())
        assert answer.get_json()["error"]["field"] == field, answer.get_json()
    assert _fields(tasks, one)["title"] == "t"


def test_all_matching_records_in_batches_report_each_refused_and_apply_the_rest(
        tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_edit, "BATCH", 3)
    mine = [_made(tasks, "sam", "task", title=f"x{i}", tags=["a"]) for i in range(5)]
    theirs = [_made(tasks, "admin", "task", title=f"x-admin{i}", tags=["a"]) for i in range(3)]
    other = _made(tasks, "sam", "task", title="other", tags=["a"])
    answer = _edit(tasks, "sam", {"all": True, "filter": "title|startsWith('x')", "add": {"tags": ["b"]}})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["matched"], body["changed"], body["refusedCount"]) == (8, 5, 3)
    assert sorted(r["id"] for r in body["refused"]) == theirs and sorted(body["ids"]) == mine
    for record_id in mine:
        assert sorted(_fields(tasks, record_id)["tags"]) == ["a", "b"]
        kinds = [e["kind"] for e in tasks.get("admin", f"/api/v1/records/task/{record_id}/history").get_json()[
            "items"]]
        assert kinds == ["record.created", "record.updated"]
    for record_id in [*theirs, other]:
        assert _fields(tasks, record_id)["tags"] == ["a"]
    # a search instead of a filter, and a delete of all matching
    gone = _edit(tasks, "sam", {"all": True, "q": "x-admin", "delete": True})
    assert gone.status_code == 200 and gone.get_json()["changed"] == 0 and gone.get_json()["refusedCount"] == 3
    gone = _edit(tasks, "sam", {"all": True, "filter": "tags|contains('b')", "delete": True})
    assert gone.get_json()["changed"] == 5
    assert tasks.get("admin", "/api/v1/records/task").get_json()["total"] == 4


def test_all_matching_is_capped_and_follows_relations_to_many(tasks: Any, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr(bulk_edit, "MAX_MATCHING", 2)
    projects = [_made(tasks, "admin", "project", name=f"p{i}") for i in range(2)]
    made = [_made(tasks, "sam", "linked_task", title=f"l{i}", deps=[projects[0]]) for i in range(3)]
    capped = _edit(tasks, "sam", {"all": True, "add": {"deps": [projects[1]]}}, "linked_task")
    assert capped.status_code == 400 and capped.get_json()["error"]["matched"] == 3
    monkeypatch.setattr(bulk_edit, "MAX_MATCHING", 50)
    done = _edit(tasks, "sam", {"all": True, "filter": f"id != {made[2]}", "add": {"deps": [projects[1]]}},
                 "linked_task")
    assert done.status_code == 200 and done.get_json()["changed"] == 2, done.get_json()
    assert [sorted(_fields(tasks, i, "linked_task")["deps"]) for i in made] == [projects, projects, [projects[0]]]
    removed = _edit(tasks, "sam", {"ids": made, "remove": {"deps": [projects[0]]}}, "linked_task")
    assert removed.status_code == 200, removed.get_json()
    assert [_fields(tasks, i, "linked_task")["deps"] for i in made] == [[projects[1]], [projects[1]], []]


def test_a_field_no_grant_lets_one_change_is_refused_before_any_record(records_api: Any) -> None:
    made = records_api.post("sam", "/api/v1/records/contract", json={"fields": {"title": "t", "number": "N1"}})
    assert made.status_code == 201, made.get_json()
    answer = _edit(records_api, "sam", {"all": True, "set": {"number": "N2"}}, "contract")
    assert answer.status_code == 403 and answer.get_json()["error"]["field"] == "number"
    # a hidden field answers as a field that does not exist
    hidden = _edit(records_api, "sam", {"all": True, "set": {"margin": "1"}}, "contract").get_json()["error"]
    unknown = _edit(records_api, "sam", {"all": True, "set": {"nope": "1"}}, "contract").get_json()["error"]
    assert hidden["message"].replace("margin", "nope") == unknown["message"]


def test_a_value_every_matching_record_refuses_costs_a_few_bulk_calls_per_batch(
        tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    made = tasks.post("admin", "/api/v1/records/task/bulk", json={"create": [
        {"fields": {"title": f"r{i}"}} for i in range(250)]})
    assert made.status_code == 200, made.get_json()
    calls: list[int] = []
    real = bulk_edit.bulk

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(bulk_edit, "bulk", counted)
    answer = _edit(tasks, "admin", {"all": True, "set": {"owner": "nobody-by-that-name"}})
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["changed"], answer.get_json()["refusedCount"]) == (0, 250), answer.get_json()
    assert len(calls) <= 4  # 100 named per refusal: not one bulk call per refused record
