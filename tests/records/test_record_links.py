"""Relations, lookups, rollups, formulas, auto-numbers, sub-tables, users and groups, through the API."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.records.linked import CUSTOMER, ORDER, make, types


@pytest.fixture
def linked(api: Any) -> Any:
    api.user("sam", roles=("staff",), groups=("sales",))
    api.user("kim", roles=("staff",))
    types(api)
    return api


def test_an_order_numbers_itself_reads_its_customer_and_sums_its_lines(linked: Any) -> None:
    north = make(linked, "sam", "customer", name="North Ltd", region="north", owner="sam", team="sales",
                 helpers=["kim", "sam"], phone="+86 10 1234 5678", discount="12.5")
    assert north["fields"]["discount"] == "12.50" and north["fields"]["orders"] == 0
    year = datetime.now(UTC).year
    order = make(linked, "sam", "order", customer=north["id"],
                 lines=[{"product": "Oak table", "qty": 2, "amount": "900.00"}, {"product": "Chair", "amount": 150}])
    fields = order["fields"]
    assert fields["number"] == f"SO-{year}-0001" and fields["region"] == "north"
    assert fields["total"] == "1050.00" and fields["tax"] == "136.50" and fields["big"] is True
    assert fields["lines"][1] == {"product": "Chair", "amount": "150.00"}
    second = make(linked, "sam", "order", customer=north["id"])
    assert second["fields"]["number"] == f"SO-{year}-0002" and second["fields"]["total"] == "0.00"
    customer = linked.get("sam", f"/api/v1/records/customer/{north['id']}").get_json()
    assert customer["fields"]["orders"] == 2 and customer["fields"]["revenue"] == "1050.00"
    # a formula follows every write; the lookup follows the customer without a write of the order
    url = f"/api/v1/records/order/{second['id']}"
    patched = linked.client.patch(url, headers=linked.headers("sam"),
                                  json={"fields": {"lines": [{"product": "Sofa", "amount": "10"}]}})
    assert patched.get_json()["fields"]["tax"] == "1.30" and patched.get_json()["fields"]["big"] is False
    linked.client.patch(f"/api/v1/records/customer/{north['id']}", headers=linked.headers("sam"),
                        json={"fields": {"region": "south"}})
    assert linked.get("sam", url).get_json()["fields"]["region"] == "south"
    history = linked.get("sam", url + "/history").get_json()["items"]
    assert history[-1]["changes"]["tax"] == {"old": "0.00", "new": "1.30"}


@pytest.mark.parametrize(("type_key", "values", "field", "code"), [
    ("customer", {"name": "A", "owner": "nobody"}, "owner", "unknown_user"),
    ("customer", {"name": "A", "team": "nogroup"}, "team", "unknown_group"),
    ("customer", {"name": "A", "helpers": ["kim", "ghost"]}, "helpers", "unknown_user"),
    ("customer", {"name": "A", "phone": "call me"}, "phone", "pattern"),
    ("customer", {"name": "A", "discount": "100.01"}, "discount", "maximum"),
    ("customer", {"name": "A", "orders": 3}, "orders", "read_only"),
    ("order", {"customer": 999}, "customer", "unknown_record"),
    ("order", {"customer": "one"}, "customer", "type"),
    ("order", {"number": "SO-1"}, "number", "read_only"),
    ("order", {"tax": "1.00"}, "tax", "read_only"),
    ("order", {"lines": [{"qty": 0, "product": "x"}]}, "lines", "minimum"),
    ("order", {"lines": [{"amount": "1.00"}]}, "lines", "required"),
])
def test_a_bad_reference_or_a_computed_field_written_is_a_422_naming_it(
        linked: Any, type_key: str, values: dict[str, Any], field: str, code: str) -> None:
    response = linked.post("sam", f"/api/v1/records/{type_key}", json={"fields": values})
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert field in {name.split(".")[0] for name in fields}, fields
    assert linked.get("sam", f"/api/v1/records/{type_key}").get_json()["total"] == 0


def test_a_failed_create_gives_its_auto_number_back(linked: Any) -> None:
    assert linked.post("sam", "/api/v1/records/order", json={"fields": {"customer": 999}}).status_code == 422
    order = make(linked, "sam", "order")
    assert order["fields"]["number"].endswith("-0001")


def test_filters_and_sorts_go_through_relations_me_and_text_search(linked: Any) -> None:
    north = make(linked, "sam", "customer", name="North Ltd", region="north", owner="sam")
    south = make(linked, "kim", "customer", name="South Oak Co", region="south", owner="kim")
    make(linked, "sam", "order", customer=north["id"], due="2026-01-10")
    make(linked, "sam", "order", customer=south["id"], due="2026-03-01")

    def items(url: str, who: str = "sam", **params: Any) -> list[dict[str, Any]]:
        response = linked.get(who, url, query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    assert [o["fields"]["region"] for o in items("/api/v1/records/order", filter='customer.region == "south"')] \
        == ["south"]
    assert [o["fields"]["region"] for o in items("/api/v1/records/order", sort="region")] == ["north", "south"]
    assert [o["fields"]["region"] for o in items("/api/v1/records/order", sort="-customer.name")] == [
        "south", "north"]
    assert [o["fields"]["due"] for o in items("/api/v1/records/order", filter='due >= "2026-02-01"|date')] == [
        "2026-03-01"]
    assert [c["fields"]["name"] for c in items("/api/v1/records/customer", "kim", filter="owner == $me")] == [
        "South Oak Co"]
    assert [c["fields"]["name"] for c in items("/api/v1/records/customer", q="oak SOUTH")] == ["South Oak Co"]
    assert items("/api/v1/records/customer", q="nothing") == []
    projected = items("/api/v1/records/customer", fields="name,orders")
    assert all(set(c["fields"]) == {"name", "orders"} for c in projected)
    bad = linked.get("sam", "/api/v1/records/customer", query_string={"fields": "name,nope"})
    assert bad.status_code == 400 and "nope" in bad.get_json()["error"]["message"]
    unknown = linked.get("sam", "/api/v1/records/order", query_string={"filter": "customer.secret == 1"})
    assert unknown.status_code == 400 and "customer.secret" in unknown.get_json()["error"]["message"]


@pytest.mark.parametrize("on_delete", ["restrict", "set_null", "cascade"])
def test_deleting_a_related_record_does_what_the_relation_says(api: Any, on_delete: str) -> None:
    api.user("sam", roles=("staff",))
    types(api, on_delete)
    customer = make(api, "sam", "customer", name="Gone Ltd")
    order = make(api, "sam", "order", customer=customer["id"])
    response = api.client.delete(f"/api/v1/records/customer/{customer['id']}", headers=api.headers("sam"))
    left = api.get("sam", f"/api/v1/records/order/{order['id']}")
    if on_delete == "restrict":
        assert response.status_code == 409 and f"order record(s) {order['id']}" in response.get_json()["error"][
            "message"]
        assert left.get_json()["fields"]["customer"] == customer["id"]
        return
    assert response.status_code == 204
    if on_delete == "set_null":
        assert left.get_json()["fields"]["customer"] is None and left.get_json()["version"] == 2
        kinds = [e["kind"] for e in api.get("sam", f"/api/v1/records/order/{order['id']}/history").get_json()[
            "items"]]
        assert kinds == ["record.created", "record.updated"]
    else:
        assert left.status_code == 404


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda f: f[5].update(expression="total * rate"), "tax", "no field 'rate'"),
    (lambda f: f[6].update(expression="tax > 1 && big"), "big", "cycle"),
    (lambda f: f[5].update(expression="big ? 1 : 0") or f[6].update(expression="tax > 0"), "tax", "cycle"),
    (lambda f: f[2].update(relation="due"), "region", "relation field"),
    (lambda f: f[2].update(field="nope"), "region", "no stored field 'nope'"),
    (lambda f: f[1].update(target="supplier"), "customer", "no record type 'supplier'"),
    (lambda f: f[4].update(field="product"), "total", "number sub-field"),
    (lambda f: f[0].update(pattern="SO-{yyyy}"), "number", "exactly one counter"),
    (lambda f: f[1].update(onDelete="explode"), "customer", "onDelete"),
    (lambda f: f[1].update(multiple=True), "region", "relates to several records"),
])
def test_a_bad_computed_or_related_field_is_refused_at_save_naming_it(
        api: Any, change: Any, field: str, words: str) -> None:
    api.post("modeler", "/api/v1/record-types", json=copy.deepcopy({**CUSTOMER, "fields": CUSTOMER["fields"][:7]}))
    order = copy.deepcopy(ORDER)
    change(order["fields"])
    response = api.post("modeler", "/api/v1/record-types", json=order)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field and words in error["message"], error


def test_a_rollup_counts_only_the_rows_the_reader_may_see(api: Any) -> None:
    api.user("sam", roles=("staff",))
    api.user("kim", roles=("staff",))
    types(api)
    order = copy.deepcopy(ORDER)
    order["permissions"] = [{"roles": ["staff"], "actions": ["read", "create"],
                             "rows": {"kind": "own", "field": "created_by"}}]
    assert api.client.put("/api/v1/record-types/order", headers=api.headers("modeler"), json=order).status_code == 201
    customer = make(api, "sam", "customer", name="Shared")
    make(api, "sam", "order", customer=customer["id"])
    make(api, "kim", "order", customer=customer["id"])
    make(api, "kim", "order", customer=customer["id"])
    seen = {who: api.get(who, f"/api/v1/records/customer/{customer['id']}").get_json()["fields"]["orders"]
            for who in ("sam", "kim", "admin")}
    assert seen == {"sam": 1, "kim": 2, "admin": 3}
