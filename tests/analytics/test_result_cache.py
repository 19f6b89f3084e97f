"""The chart result cache (server/analytics/cache.py) is never stale: a committed write to anything a chart
reads makes its next read compute afresh, and one viewer's cached rows never answer another's row scope."""

from __future__ import annotations

from typing import Any

import pytest

from server.analytics.cache import cache_of
from server.auth.permissions import Principal
from server.records import service as records
from tests.analytics.conftest import chart, dashboard, data, put, sql
from tests.analytics.test_chart_data import close
from tests.records.linked import make, types

BY_REGION = chart("by_region", "column", [{"field": "region"}], [{"agg": "sum", "field": "amount"},
                                                                  {"agg": "count"}])
ADMIN = Principal(0, "admin", frozenset({"admin"}), frozenset())


def _cache(api: Any) -> Any:
    with api.app.extensions["boms_db"].read() as session:
        cache = cache_of(session)
    assert cache is not None, "the cache is on by default"
    return cache


def _sums(api: Any, who: str) -> dict[str, tuple[float, int]]:
    return {r["region"]: (r["sum_amount"], r["count"]) for r in data(api, who, "sales", "by_region")["rows"]}


def _expected(api: Any, owner: str | None = None) -> dict[str, tuple[float, int]]:
    where = "WHERE created_by = :owner" if owner else ""
    return {r[0]: (float(r[1]), r[2]) for r in sql(
        api, f"SELECT region, SUM(amount), COUNT(*) FROM rec_sale {where} GROUP BY region", owner=owner)}


def _same(got: dict[str, tuple[float, int]], want: dict[str, tuple[float, int]]) -> None:
    assert got.keys() == want.keys()
    for region, (amount, count) in want.items():
        close(got[region][0], amount)
        assert got[region][1] == count, region


def test_a_record_write_changes_the_next_dashboard_read(sales: Any) -> None:
    put(sales, dashboard(BY_REGION))
    cache = _cache(sales)
    first = _sums(sales, "fiona")
    hits = cache.hits
    assert _sums(sales, "fiona") == first and cache.hits == hits + 1  # the second read is a hit
    created = make(sales, "admin", "sale", product="sofa", region="north", amount="1000.25", qty=1)
    after = _sums(sales, "fiona")
    assert after["north"][1] == first["north"][1] + 1
    close(after["north"][0], first["north"][0] + 1000.25)
    _same(after, _expected(sales))
    response = sales.client.patch(f"/api/v1/records/sale/{created['id']}", headers=sales.headers("admin"),
                                  json={"fields": {"region": "south"}, "version": created["version"]})
    assert response.status_code == 200, response.get_json()
    moved = _sums(sales, "fiona")
    assert moved["north"][1] == first["north"][1] and moved["south"][1] == first["south"][1] + 1
    _same(moved, _expected(sales))


def test_a_related_record_changes_a_rollup(api: Any) -> None:
    api.user("sam", roles=("staff",))
    types(api)
    acme = make(api, "sam", "customer", name="Acme", region="north")["id"]
    make(api, "sam", "order", customer=acme, lines=[{"product": "sofa", "qty": 1, "amount": "100"}])
    revenue = {"key": "revenue", "type": "column", "title": {"en": "r", "zh": "r"},
               "source": {"kind": "records", "type": "customer"}, "dimensions": [{"field": "region"}],
               "measures": [{"agg": "sum", "field": "revenue"}]}
    put(api, {"key": "linked", "title": {"en": "L", "zh": "L"}, "viewers": {"roles": ["staff"]},
              "charts": [revenue]})

    def north() -> float:
        rows = data(api, "sam", "linked", "revenue")["rows"]
        return next(r["sum_revenue"] for r in rows if r["region"] == "north")

    assert north() == 100 and north() == 100  # the second from the cache
    # The customer row itself is untouched: only the order (another type, read through the rollup) is new.
    make(api, "sam", "order", customer=acme, lines=[{"product": "desk", "qty": 2, "amount": "250"}])
    assert north() == 350


def test_a_viewers_cached_rows_never_answer_another_row_scope(sales: Any) -> None:
    put(sales, dashboard(BY_REGION))
    cache = _cache(sales)
    sam = _sums(sales, "sam")
    _same(sam, _expected(sales, "sam"))
    hits = cache.hits
    sue = _sums(sales, "sue")  # the same chart, dashboard and data version: a different key all the same
    assert cache.hits == hits
    _same(sue, _expected(sales, "sue"))
    assert sue != sam
    assert _sums(sales, "sam") == sam and cache.hits == hits + 1


# SQLite has one writer at a time: no commit can overtake another, so only PostgreSQL can show the race.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_write_committed_after_a_later_one_is_seen(sales: Any) -> None:
    """Writer A takes its audit seq first and commits last: whatever the order, the next read holds both (the
    key is the chain heads, not max(seq), which A's late commit would leave unchanged)."""
    put(sales, dashboard(BY_REGION))
    database = sales.app.extensions["boms_db"]
    before = _sums(sales, "fiona")
    with database.write() as first:
        records.create(first, ADMIN, "sale", {"region": "east", "amount": "7", "qty": 1})
        with database.write() as second:  # a second chain (the first one's head is held): commits first
            records.create(second, ADMIN, "sale", {"region": "west", "amount": "5", "qty": 1})
        middle = _sums(sales, "fiona")
        assert middle["west"][1] == before["west"][1] + 1 and middle["east"] == before["east"]
    after = _sums(sales, "fiona")
    assert after["east"][1] == before["east"][1] + 1
    _same(after, _expected(sales))


def test_the_cache_can_be_turned_off(sales: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from server import create_app
    from server.config import Config

    monkeypatch.setenv("BOMS_ANALYTICS_CACHE_BYTES", "0")
    config = Config.from_env(instance_path=tmp_path / "off", database_url=str(
        sales.app.extensions["boms_db"].engine.url.render_as_string(hide_password=False)), secret_key="test",
        testing=True)
    app = create_app(config)
    try:
        with app.extensions["boms_db"].read() as session:
            assert cache_of(session) is None
    finally:
        app.extensions["boms_db"].dispose()
    assert _cache(sales) is not None


def _counts(cache: Any) -> tuple[int, int, int]:
    return cache.hits, cache.misses, cache.revalidated


def test_writes_the_chart_cannot_read_do_not_invalidate_it(sales: Any, browser: Any) -> None:
    """A sign-in, a record of another type, a dashboard saved: the entry is re-validated by the events since
    (cache_writes.py) and served; a write to the charted type is a miss that sees the new record."""
    put(sales, dashboard(BY_REGION))
    put(sales, {**dashboard(BY_REGION, key="other"), "title": {"en": "Other", "zh": "其他"}})
    types(sales)  # other record types (customer, order): their saves are record type events of theirs
    cache = _cache(sales)
    first = _sums(sales, "fiona")
    hits, misses, revalidated = _counts(cache)
    browser("fiona")  # an auth.login event
    make(sales, "admin", "customer", name="Acme", region="north")
    put(sales, {**dashboard(BY_REGION, key="other"), "title": {"en": "Other 2", "zh": "其他 2"}}, expect=None)
    assert _sums(sales, "fiona") == first
    assert _counts(cache) == (hits + 1, misses, revalidated + 1)
    assert _sums(sales, "fiona") == first and _counts(cache) == (hits + 2, misses, revalidated + 1)  # re-stored
    make(sales, "admin", "sale", product="sofa", region="north", amount="10", qty=1)
    after = _sums(sales, "fiona")
    assert _counts(cache)[1] == misses + 1 and after["north"][1] == first["north"][1] + 1
    _same(after, _expected(sales))


def test_a_task_completion_does_not_invalidate_a_records_chart_but_does_a_tasks_chart(sales: Any) -> None:
    from tests.engine.flow import Flow

    sales.user("staff")
    flow = Flow(sales)
    flow.deploy("heatmap_demo.bpmn")
    instance = flow.start("heatmap_demo", {"amount": 1})["id"]
    tasks = {"key": "tasks", "type": "column", "title": {"en": "t", "zh": "t"},
             "source": {"kind": "tasks", "process": "heatmap_demo"}, "dimensions": [{"field": "status"}],
             "measures": [{"agg": "count"}]}
    put(sales, dashboard(BY_REGION, tasks))
    cache = _cache(sales)
    first = _sums(sales, "fiona")
    before = {r["status"]: r["count"] for r in data(sales, "admin", "sales", "tasks")["rows"]}
    assert before == {"open": 1}
    hits, misses, _ = _counts(cache)
    flow.finish(instance, "review")
    assert _sums(sales, "fiona") == first and _counts(cache)[:2] == (hits + 1, misses)
    after = {r["status"]: r["count"] for r in data(sales, "admin", "sales", "tasks")["rows"]}
    assert after == {"completed": 1, "open": 2} and _counts(cache)[1] == misses + 1  # pay and file


def test_a_write_to_a_type_reached_by_a_lookup_invalidates(api: Any) -> None:
    api.user("sam", roles=("staff",))
    types(api)
    acme = make(api, "sam", "customer", name="Acme", region="north")
    make(api, "sam", "order", customer=acme["id"], lines=[{"product": "sofa", "qty": 1, "amount": "100"}])
    by_region = {"key": "by_region", "type": "column", "title": {"en": "r", "zh": "r"},
                 "source": {"kind": "records", "type": "order"}, "dimensions": [{"field": "region"}],
                 "measures": [{"agg": "count"}]}
    put(api, {"key": "orders", "title": {"en": "O", "zh": "O"}, "viewers": {"roles": ["staff"]},
              "charts": [by_region]})

    def regions() -> dict[str, int]:
        return {r["region"]: r["count"] for r in data(api, "sam", "orders", "by_region")["rows"]}

    assert regions() == {"north": 1} and regions() == {"north": 1}
    # Only the customer changes; the order's region is its customer's, read through the lookup.
    response = api.client.patch(f"/api/v1/records/customer/{acme['id']}", headers=api.headers("sam"),
                                json={"fields": {"region": "south"}, "version": acme["version"]})
    assert response.status_code == 200, response.get_json()
    assert regions() == {"south": 1}


def test_too_many_events_since_an_entry_is_a_miss(sales: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    from server.analytics import cache_writes

    put(sales, dashboard(BY_REGION))
    cache = _cache(sales)
    first = _sums(sales, "fiona")
    monkeypatch.setattr(cache_writes, "MAX_EVENTS", 1)
    browser("fiona")
    browser("fiona")
    hits, misses, _ = _counts(cache)
    assert _sums(sales, "fiona") == first and _counts(cache)[:2] == (hits, misses + 1)


def test_the_tables_a_chart_reads_include_those_behind_its_rollups(api: Any) -> None:
    from server.analytics.cache_writes import tables_read
    from server.analytics.sources import resolve

    types(api)
    with api.app.extensions["boms_db"].read() as session:
        source = resolve(session, ADMIN, {"kind": "records", "type": "customer"})
        assert tables_read([source.columns["revenue"].expr]) >= {"rec_order"}
        tasks = resolve(session, ADMIN, {"kind": "tasks"})
        assert tables_read([tasks.from_clause(set(tasks.columns))]) == {"human_task", "task_candidate"}
