"""The result cache and who is asking: a change of the viewer's groups or of the type's grants changes the rows
the viewer's next read shows (the key holds the compiled row scope; cache_writes.py never passes over a
user or record type event)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.api import common
from server.auth.permissions import Principal
from server.services.people import update_user
from tests.analytics.conftest import SALE, dashboard, data, put, sql
from tests.analytics.test_result_cache import BY_REGION, _cache

ADMIN = Principal(0, "admin", frozenset({"admin"}), frozenset())


def _counts(api: Any, who: str) -> dict[str, int]:
    return {r["region"]: r["count"] for r in data(api, who, "sales", "by_region")["rows"]}


def _expected(api: Any, owner: str | None = None) -> dict[str, int]:
    where = "WHERE created_by = :owner" if owner else ""
    return {r[0]: r[1] for r in sql(api, f"SELECT region, COUNT(*) FROM rec_sale {where} GROUP BY region",
                                    owner=owner)}


def test_leaving_a_group_narrows_the_next_read(sales: Any) -> None:
    from sqlalchemy import select

    from server.models import User

    put(sales, dashboard(BY_REGION))
    _cache(sales)
    assert _counts(sales, "fiona") == _expected(sales) == _counts(sales, "fiona")  # finance: every row
    with sales.app.extensions["boms_db"].write() as session:
        fiona = session.scalars(select(User).where(User.username == "fiona")).one()
        update_user(session, ADMIN, fiona.id, display_name="", email="", active=True, roles=["staff"], groups="",
                    manager="")
    common._principals.clear()  # the API's principal cache (PRINCIPAL_TTL) is not what this test is about
    assert _counts(sales, "fiona") == _expected(sales, "fiona")


def test_a_grant_change_of_the_charted_type_changes_the_next_read(sales: Any) -> None:
    put(sales, dashboard(BY_REGION))
    assert _counts(sales, "sam") == _expected(sales, "sam") == _counts(sales, "sam")
    widened = copy.deepcopy(SALE)
    widened["permissions"][0].pop("rows")
    response = sales.client.put("/api/v1/record-types/sale", headers=sales.headers("modeler"), json=widened)
    assert response.status_code in (200, 201), response.get_json()
    assert _counts(sales, "sam") == _expected(sales)


@pytest.mark.parametrize("on_delete", ["cascade", "set_null"])
def test_a_delete_that_reaches_another_type_changes_its_charts(api: Any, on_delete: str) -> None:
    """Deleting a customer deletes its orders (cascade) or empties their relation (set null): an orders chart
    that reads only the order table is computed afresh (each dependant's write has its own record event)."""
    from tests.records.linked import make, types

    api.user("sam", roles=("staff",))
    types(api, on_delete)
    acme = make(api, "sam", "customer", name="Acme", region="north")
    make(api, "sam", "order", customer=acme["id"], lines=[{"product": "sofa", "qty": 1, "amount": "100"}])
    by_customer = {"key": "by_customer", "type": "column", "title": {"en": "c", "zh": "c"},
                   "source": {"kind": "records", "type": "order"}, "dimensions": [{"field": "customer"}],
                   "measures": [{"agg": "count"}]}
    put(api, {"key": "orders", "title": {"en": "O", "zh": "O"}, "viewers": {"roles": ["staff"]},
              "charts": [by_customer]})

    def counts() -> dict[Any, int]:
        return {r["customer"]: r["count"] for r in data(api, "sam", "orders", "by_customer")["rows"]}

    assert counts() == {acme["id"]: 1} == counts()
    response = api.client.delete(f"/api/v1/records/customer/{acme['id']}", headers=api.headers("admin"))
    assert response.status_code in (200, 204), response.get_json()
    assert counts() == ({} if on_delete == "cascade" else {None: 1})


# SQLite has one writer at a time: only PostgreSQL can hold one chain open while another commits.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_re_validated_entry_still_sees_a_write_that_was_open_on_another_chain(sales: Any) -> None:
    """Writer A holds chain 1 with a new sale; B commits a customer on chain 2. The read between re-validates
    the entry (B's event touches no sale) and stores it at heads without A; once A commits, its event is past
    those heads on chain 1 and the next read computes afresh."""
    from server.records import service as records
    from tests.records.linked import types

    put(sales, dashboard(BY_REGION))
    types(sales)
    cache = _cache(sales)
    before = _counts(sales, "fiona")
    database = sales.app.extensions["boms_db"]
    with database.write() as first:
        records.create(first, ADMIN, "sale", {"region": "east", "amount": "7", "qty": 1})
        with database.write() as second:  # chain 1 is held by the first writer: this one appends to another
            records.create(second, ADMIN, "customer", {"name": "Acme", "region": "north"})
        revalidated = cache.revalidated
        assert _counts(sales, "fiona") == before and cache.revalidated == revalidated + 1
    after = _counts(sales, "fiona")
    assert after["east"] == before["east"] + 1 and after == _expected(sales)
