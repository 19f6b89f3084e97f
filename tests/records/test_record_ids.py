"""A record id is never given twice: after the newest record is deleted, the next one (made one by one or
in a batch) gets a new id, and its history holds its own events only — also on a SQLite table made before
AUTOINCREMENT, and for a type deleted and created again with the same key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

from tests.records.conftest import create

TAG = {"key": "tag", "name": {"en": "Tag", "zh": "标签"},
       "fields": [{"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"}]}


def _history_kinds(api: Any, type_key: str, record_id: int) -> list[str]:
    answer = api.get("admin", f"/api/v1/records/{type_key}/{record_id}/history")
    assert answer.status_code == 200, answer.get_json()
    return [e["kind"] for e in answer.get_json()["items"]]


def _delete(api: Any, type_key: str, record_id: int, who: str = "admin") -> None:
    gone = api.client.delete(f"/api/v1/records/{type_key}/{record_id}", headers=api.headers(who))
    assert gone.status_code == 204, gone.get_json()


def _one(api: Any, type_key: str, name: str) -> int:
    made = api.post("admin", f"/api/v1/records/{type_key}", json={"fields": {"name": name}})
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def _batch(api: Any, type_key: str, *names: str) -> list[int]:
    made = api.post("admin", f"/api/v1/records/{type_key}/bulk",
                    json={"create": [{"fields": {"name": n}} for n in names]})
    assert made.status_code == 200, made.get_json()
    return list(made.get_json()["created"])


def _check_never_reused(api: Any, type_key: str) -> None:
    first, newest = _one(api, type_key, "a"), _one(api, type_key, "b")
    _delete(api, type_key, newest)
    again = _one(api, type_key, "c")
    assert again > newest and again != first
    assert _history_kinds(api, type_key, again) == ["record.created"]
    _delete(api, type_key, again)
    batch = _batch(api, type_key, "d", "e")
    assert min(batch) > again
    for record_id in batch:
        assert _history_kinds(api, type_key, record_id) == ["record.created"]
    _delete(api, type_key, batch[1])
    _delete(api, type_key, batch[0])
    after = _one(api, type_key, "f")
    assert after > batch[1] and _history_kinds(api, type_key, after) == ["record.created"]


def test_deleting_the_newest_record_never_gives_its_id_again(records_api: Any) -> None:
    first = create(records_api, "sam", title="one").get_json()["id"]
    newest = create(records_api, "sam", title="two").get_json()["id"]
    _delete(records_api, "contract", newest, "sam")
    again = create(records_api, "sam", title="three").get_json()["id"]
    assert again not in (first, newest) and again > newest
    assert _history_kinds(records_api, "contract", again) == ["record.created"]
    # the deleted record's history is still its own
    assert _history_kinds(records_api, "contract", newest) == ["record.created", "record.deleted"]


def test_one_by_one_and_batch_creates_skip_deleted_ids(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=TAG).status_code == 201
    _check_never_reused(api, "tag")


def test_a_sqlite_table_made_before_autoincrement_skips_ids_its_history_names(api: Any, database_url: str
                                                                            ) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=TAG).status_code == 201
    if database_url.startswith("sqlite"):  # made as BOMS made it before: a rowid table without AUTOINCREMENT
        engine = create_engine(database_url)
        with engine.begin() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'rec_tag'")).scalar()
            assert "AUTOINCREMENT" in sql
            conn.execute(text("DROP TABLE rec_tag"))
            conn.execute(text(sql.replace("AUTOINCREMENT", "")))
        engine.dispose()
    _check_never_reused(api, "tag")
    # many deleted newest records: the search past them still lands after the last
    made = _batch(api, "tag", *(f"n{i}" for i in range(37)))
    for record_id in reversed(made):
        _delete(api, "tag", record_id)
    assert _one(api, "tag", "last") == made[-1] + 1


def test_a_type_made_again_with_the_same_key_starts_after_the_old_records(api: Any) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=TAG).status_code == 201
    old = _batch(api, "tag", "a", "b", "c")
    for record_id in old:
        _delete(api, "tag", record_id)
    gone = api.client.delete("/api/v1/record-types/tag", headers=api.headers("admin"))
    assert gone.status_code in (200, 204), gone.get_json()
    made = api.post("modeler", "/api/v1/record-types", json=TAG)
    assert made.status_code == 201, made.get_json()
    again = _one(api, "tag", "new")
    assert again > max(old) and _history_kinds(api, "tag", again) == ["record.created"]
