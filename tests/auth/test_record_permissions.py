"""server/auth/permissions/records.py: record-type grants (actions, fields, row scopes as WHERE clauses).

Every row scope is checked twice against real rows: as the WHERE clause the database runs, and as the
Python check on one record; both must pick the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import Connection

from server.auth.permissions import Action, Principal, RecordPolicy
from server.errors import BadRequest, Forbidden

ROWS = [
    {"id": 1, "title": "a", "created_by": "ann", "department": "finance", "status": "draft", "amount": 10},
    {"id": 2, "title": "b", "created_by": "bob", "department": "sales", "status": "published", "amount": 20},
    {"id": 3, "title": "c", "created_by": "ann", "department": "sales", "status": "published", "amount": 30},
    {"id": 4, "title": "d", "created_by": "cai", "department": None, "status": None, "amount": 40},
]
FIELDS = ("title", "created_by", "department", "status", "amount")

ann = Principal(1, "ann", frozenset({"staff"}), frozenset({"finance"}))
bob = Principal(2, "bob", frozenset({"staff"}), frozenset({"sales"}))
dee = Principal(3, "dee", frozenset(), frozenset())
boss = Principal(4, "boss", frozenset({"admin"}), frozenset())
eve = Principal(5, "eve", frozenset({"auditor"}), frozenset())

POLICY = RecordPolicy.from_config("order", [
    {"roles": ["staff"], "actions": ["read", "create"], "rows": {"kind": "own", "field": "created_by"},
     "fields": ["title", "amount"]},
    {"groups": ["sales"], "actions": ["read", "update"], "rows": {"kind": "my_groups", "field": "department"}},
    {"users": ["ann"], "actions": ["export"], "rows": {"kind": "equals", "field": "status", "value": "published"}},
], known_fields=FIELDS)

metadata = MetaData()
table = Table("test_record", metadata, Column("id", Integer, primary_key=True), Column("title", String),
              Column("created_by", String), Column("department", String), Column("status", String),
              Column("amount", Integer))


@pytest.fixture(scope="module")
def db() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), ROWS)
        yield conn


def visible(db: Connection, who: Principal, action: Action) -> list[int]:
    return list(db.scalars(select(table.c.id).where(POLICY.row_filter(who, action, table.c)).order_by(table.c.id)))


def allowed_in_python(who: Principal, action: Action) -> list[int]:
    ids = []
    for row in ROWS:
        try:
            POLICY.require(who, action, record=row)
        except Forbidden:
            continue
        ids.append(row["id"])
    return ids


@pytest.mark.parametrize(("who", "action", "ids"), [
    (ann, Action.READ, [1, 3]), (bob, Action.READ, [2, 3]), (ann, Action.EXPORT, [2, 3]),
    (bob, Action.UPDATE, [2, 3]), (ann, Action.UPDATE, []), (dee, Action.READ, []),
    (boss, Action.DELETE, [1, 2, 3, 4]), (eve, Action.READ, [1, 2, 3, 4]), (eve, Action.EXPORT, [1, 2, 3, 4]),
    (eve, Action.UPDATE, []),
])
def test_row_scopes_in_sql_and_in_python_agree(db: Connection, who: Principal, action: Action,
                                                ids: list[int]) -> None:
    assert visible(db, who, action) == ids
    assert allowed_in_python(who, action) == ids


def test_actions_are_granted_or_refused() -> None:
    assert POLICY.allows(ann, Action.CREATE) and not POLICY.allows(ann, Action.DELETE)
    assert not POLICY.allows(dee, Action.READ) and POLICY.allows(boss, Action.IMPORT)
    with pytest.raises(Forbidden, match="you may not delete records of 'order'"):
        POLICY.require(ann, Action.DELETE)
    with pytest.raises(Forbidden, match=r"not this one"):
        POLICY.require(ann, Action.READ, record=ROWS[1])


def test_fields_are_limited_per_grant() -> None:
    assert POLICY.fields_for(ann, Action.READ, FIELDS) == {"title", "amount"}
    assert POLICY.fields_for(bob, Action.READ, FIELDS) == set(FIELDS)  # the group grant names no fields
    assert POLICY.fields_for(dee, Action.READ, FIELDS) == frozenset()
    POLICY.require(ann, Action.CREATE, fields={"title", "amount"})
    with pytest.raises(Forbidden, match=r"the field\(s\) status") as refused:
        POLICY.require(ann, Action.CREATE, fields={"title", "status"})
    assert refused.value.details["field"] == "status"


@pytest.mark.parametrize(("config", "message"), [
    ([{"roles": ["staff"], "actions": ["fly"]}], "actions must be some of"),
    ([{"roles": ["staff"], "actions": []}], "actions must be some of"),
    ([{"actions": ["read"]}], "name roles, groups or users"),
    ([{"roles": ["staff"], "actions": ["read"], "colour": "red"}], "unknown key"),
    ([{"roles": ["staff"], "actions": ["read"], "rows": {"kind": "magic"}}], "row scope kind must be one of"),
    ([{"roles": ["staff"], "actions": ["read"], "rows": {"kind": "own"}}], "'field' must be a field name"),
    ([{"roles": ["staff"], "actions": ["read"], "fields": ["nope"]}], r"no field\(s\) nope"),
    ([{"roles": ["staff"], "actions": ["read"], "rows": {"kind": "own", "field": "owner"}}], r"no field\(s\) owner"),
    (["read"], "must be an object"),
])
def test_a_wrong_rule_is_refused_when_saved_naming_it(config: list[Any], message: str) -> None:
    with pytest.raises(BadRequest, match=message) as refused:
        RecordPolicy.from_config("order", config, known_fields=FIELDS)
    assert "record type 'order' permission 1" in refused.value.message
