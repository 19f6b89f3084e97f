"""Indexes chosen per field (``indexed``), made and dropped in the save's DDL, and the capped count of a list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from server.records import listing
from tests.records.conftest import contract, create


def _indexes(api: Any) -> dict[str, list[str]]:
    with api.app.extensions["boms_db"].engine.connect() as conn:
        return {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("rec_contract")}


def _save(api: Any, definition: dict[str, Any], status: int = 201) -> Any:
    response = api.client.put("/api/v1/record-types/contract", headers=api.headers("modeler"), json=definition)
    assert response.status_code == status, response.get_json()
    return response


def _field(definition: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in definition["fields"] if f["key"] == key)


def test_an_indexed_field_gets_an_index_and_loses_it_when_no_longer_indexed(records_api: Any) -> None:
    assert "ix_rec_contract_amount" not in _indexes(records_api)
    created = create(records_api, "sam", title="A", amount="10.00")
    assert created.status_code == 201
    changed = contract()
    _field(changed, "amount")["indexed"] = True
    _field(changed, "signed_on")["indexed"] = True
    _save(records_api, changed)
    found = _indexes(records_api)
    assert found["ix_rec_contract_amount"] == ["amount"] and found["ix_rec_contract_signed_on"] == ["signed_on"]
    assert _field(records_api.get("admin", "/api/v1/record-types/contract").get_json(), "amount")["indexed"]
    _field(changed, "signed_on").pop("indexed")  # no longer indexed
    changed["fields"] = [f for f in changed["fields"] if f["key"] != "amount"]  # removed: its index goes too
    changed["permissions"] = contract()["permissions"]
    for grant in changed["permissions"]:
        grant["fields"] = [k for k in grant.get("fields", []) if k != "amount"] or grant.pop("fields")
    _save(records_api, changed)
    found = _indexes(records_api)
    assert "ix_rec_contract_amount" not in found and "ix_rec_contract_signed_on" not in found
    assert "uq_rec_contract_number" in found and "ix_rec_contract_created_at" in found  # the others stay


def test_a_type_saved_first_with_an_indexed_field_has_its_index(api: Any) -> None:
    definition = contract()
    _field(definition, "region")["indexed"] = True
    _field(definition, "number")["indexed"] = True  # unique: its unique index serves, no second one
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    found = _indexes(api)
    assert found["ix_rec_contract_region"] == ["region"] and "ix_rec_contract_number" not in found


def test_a_version_saved_before_indexed_existed_keeps_its_checksum(records_api: Any) -> None:
    # Definitions without the flag keep their content: an unchanged save makes no new version.
    again = records_api.client.put("/api/v1/record-types/contract", headers=records_api.headers("modeler"),
                                   json=contract())
    assert again.status_code == 200 and again.get_json()["version"] == 1
    assert "indexed" not in _field(again.get_json(), "title")


@pytest.mark.parametrize(("key", "value", "words"), [
    ("notes", True, "a long_text field cannot be indexed"),
    ("title", "yes", "'indexed' must be true or false"),
])
def test_what_cannot_be_indexed_is_refused_naming_the_field(api: Any, key: str, value: Any, words: str) -> None:
    definition = contract()
    _field(definition, key)["indexed"] = value
    response = api.post("modeler", "/api/v1/record-types", json=definition)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == key and words in response.get_json()["error"]["message"]


def test_a_multi_select_is_indexed_by_gin_on_postgresql_and_refused_on_sqlite(records_api: Any) -> None:
    changed = contract()
    _field(changed, "lines")["indexed"] = True
    if records_api.app.extensions["boms_db"].engine.dialect.name == "sqlite":
        response = _save(records_api, changed, 400)
        assert response.get_json()["error"]["field"] == "lines" and "cannot index" in \
            response.get_json()["error"]["message"]
        assert _field(records_api.get("admin", "/api/v1/record-types/contract").get_json(), "lines").get(
            "indexed") is None  # nothing saved
        return
    _save(records_api, changed)
    assert "ix_rec_contract_lines" in _indexes(records_api)
    create(records_api, "sam", title="S", lines=["sofa"])
    create(records_api, "sam", title="T", lines=["table"])
    titles = [i["fields"]["title"] for i in records_api.get("sam", "/api/v1/records/contract", query_string={
        "filter": '"sofa" in lines'}).get_json()["items"]]
    assert titles == ["S"]
    with records_api.app.extensions["boms_db"].engine.begin() as conn:  # the filter's SQL can use it
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(r[0] for r in conn.exec_driver_sql(
            "EXPLAIN SELECT id FROM rec_contract WHERE CAST(lines AS JSONB) @> jsonb_build_array("
            "CAST('\"sofa\"' AS JSONB))"))
    assert "ix_rec_contract_lines" in plan, plan


def test_a_count_above_the_cap_says_so_instead_of_counting_on(records_api: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        assert create(records_api, "sam", title=f"T{i}", amount=f"{i}.00").status_code == 201
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    body = records_api.get("sam", "/api/v1/records/contract", query_string={"pageSize": 2}).get_json()
    assert "total" not in body and body["totalAbove"] == 3 and len(body["items"]) == 2 and body["nextCursor"]
    page3 = records_api.get("sam", "/api/v1/records/contract", query_string={"pageSize": 2, "page": 3}).get_json()
    assert [i["fields"]["title"] for i in page3["items"]] == ["T0"]  # past the cap, pages still come
    exact = records_api.get("sam", "/api/v1/records/contract", query_string={"filter": "amount >= 3"}).get_json()
    assert exact["total"] == 2 and "totalAbove" not in exact


def test_a_descending_sort_on_a_filtered_field_walks_every_row_once(records_api: Any) -> None:
    for i in range(9):  # ties on amount, and records without one the filter leaves out
        assert create(records_api, "sam", title=f"T{i}", amount=f"{i // 3}.00" if i < 7 else None).status_code == 201
    query = {"filter": "amount >= 0", "sort": "-amount", "pageSize": 2}
    body = records_api.get("sam", "/api/v1/records/contract", query_string=query).get_json()
    seen = [i["fields"]["title"] for i in body["items"]]
    while body["nextCursor"]:
        body = records_api.get("sam", "/api/v1/records/contract",
                               query_string={**query, "cursor": body["nextCursor"]}).get_json()
        seen += [i["fields"]["title"] for i in body["items"]]
    assert seen == ["T6", "T5", "T4", "T3", "T2", "T1", "T0"]  # ties: by id, the way the sort runs


def test_sqlite_statistics_are_made_for_a_new_index_and_when_a_table_doubles(records_api: Any) -> None:
    from server.records.statistics import sweep_statistics

    database = records_api.app.extensions["boms_db"]
    if database.engine.dialect.name != "sqlite":
        assert sweep_statistics(database, records_api.app.config) == 0  # autovacuum keeps PostgreSQL's
        return
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO rec_contract (version, created_at, created_by, updated_at, updated_by, "
                             "title, amount) SELECT 1, '2026-01-01', 'x', '2026-01-01', 'x', 't' || value, value "
                             "FROM json_each((SELECT json_group_array(n) FROM (WITH RECURSIVE c(n) AS (SELECT 1 "
                             "UNION ALL SELECT n + 1 FROM c WHERE n < 1500) SELECT n FROM c)))")

    def described() -> dict[str, str]:
        with database.engine.connect() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is None:
                return {}
            return dict(conn.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'rec_contract'").all())

    assert "ix_rec_contract_created_at" not in described()
    assert sweep_statistics(database, records_api.app.config) == 1
    assert described()["ix_rec_contract_created_at"].startswith("1500 ")
    assert sweep_statistics(database, records_api.app.config) == 0  # not grown since
    changed = contract()
    _field(changed, "amount")["indexed"] = True
    _save(records_api, changed)
    assert described()["ix_rec_contract_amount"].startswith("1500 ")  # analyzed with its index


def test_a_sort_key_the_filter_keeps_non_null_needs_no_nulls_last_and_a_cursor_bounds_it() -> None:
    from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table
    from sqlalchemy.dialects import postgresql

    from server.queries import after

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("amount", Numeric(18, 2)),
                  Column("status", String(40)), Column("created_at", Integer, nullable=False))
    columns = {"id": table.c.id, "amount": table.c.amount, "status": table.c.status,
               "created_at": table.c.created_at}

    def sql(clause: Any) -> str:
        return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    where = listing.filter_clause('status == "open" && amount >= 5000', columns)
    filtered = listing.order_of("-amount", columns, table, listing.present(where))
    assert [sql(c) for c in filtered.clauses()] == ["t.amount DESC", "t.id DESC"]
    assert sql(after(filtered, [100, 7])).startswith("t.amount <= 100 AND ")  # where the index starts
    plain = listing.order_of("-amount", columns, table, listing.present(
        listing.filter_clause('status == "open" || amount >= 5000', columns)))  # an OR keeps no column filled
    assert [sql(c) for c in plain.clauses()] == ["t.amount DESC NULLS LAST", "t.id DESC"]
    assert "NULLS" not in sql(listing.order_of("created_at", columns, table).clauses()[0])  # NOT NULL column


def test_the_grid_says_more_than_the_cap_and_still_offers_all_matching(records_api: Any, browser: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        assert create(records_api, "sam", title=f"T{i}").status_code == 201
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    page = browser("sam").get("/records/contract", query_string={"pageSize": 2}).get_data(as_text=True)
    assert "More than 3 records" in page and 'data-testid="bulk-matching"' in page
    assert "All records matching this filter, more than 3" in page
