"""``$me`` in record filters and row-scope conditions: the asking user and their stored attributes.

``$me`` is the user's name; ``$me.<attribute>`` reads what BOMS stores about them — the attributes that
assignment expressions read as ``user(name).x`` (server/engine/directory.attributes) plus the user's id:

    $me.id            number   owner_id == $me.id
    $me.username      text     owner == $me.username (the same as owner == $me)
    $me.displayName   text
    $me.email         text
    $me.department    text     region == $me.department
    $me.manager       text     approver == $me.manager (the manager's username)
    $me.approvalLimit number   amount <= $me.approvalLimit
    $me.groups        list     team in $me.groups, teams|containsAny($me.groups)
    $me.roles         list     audience in $me.roles (a field naming a role)

A text attribute the user lacks is empty text, not null, so ``region == $me.department`` matches no row
for a user without a department instead of every row without a region; a missing approval limit is null
(every comparison with it fails: no row). Any other ``$me.x`` is an unknown name: a 400 naming it when the
filter is sent or the type (its row scopes) or a view is saved.

Both sides of the filter compiler get the same values: SQL literals (lists as constants) for the clause,
a ``str`` that is also a mapping for Python evaluation (``filter_matches``, a record not yet written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, Numeric, String, cast, literal

from server.auth.permissions import Principal

ME = "$me"
TEXTS = ("username", "displayName", "email", "department", "manager")
LISTS = ("groups", "roles")
ATTRIBUTES = ("id", *TEXTS, "approvalLimit", *LISTS)


def person(who: Principal) -> Principal:
    """Whom ``$me`` names: the asking user, or for a rule's action the person whose change or click ran it."""
    return who.acting_for or who


def attributes(who: Principal) -> dict[str, Any]:
    """The values ``$me.<attribute>`` reads for ``who``."""
    who = person(who)
    texts = {"username": who.username, "displayName": who.display_name, "email": who.email,
             "department": who.department, "manager": who.manager}
    return {"id": who.id, **{k: v or "" for k, v in texts.items()}, "approvalLimit": who.approval_limit,
            "groups": sorted(who.groups), "roles": sorted(who.roles)}


def names() -> list[str]:
    return [ME, *(f"{ME}.{a}" for a in ATTRIBUTES)]


def is_me(name: str) -> bool:
    return name == ME or name.startswith(f"{ME}.")


def columns(who: Principal) -> dict[str, Any]:
    """``$me`` and its attributes for the SQL side: typed literals, a list as a Python list (a constant)."""
    values = attributes(who)
    found: dict[str, Any] = {ME: literal(person(who).username, String)}
    for key, value in values.items():
        name = f"{ME}.{key}"
        if key in LISTS:
            found[name] = list(value)
        elif key == "id":
            found[name] = literal(value, Integer)
        elif key == "approvalLimit":
            found[name] = cast(literal(value, Numeric(18, 2)), Numeric(18, 2))  # typed even when null
        else:
            found[name] = literal(value, String)
    return found


class _Me(str, Mapping):  # type: ignore[misc]
    """``$me`` for the Python side: equal to the user's name, and ``$me.department`` reads an attribute."""

    values: dict[str, Any]

    def __new__(cls, username: str, values: dict[str, Any]) -> _Me:
        me = super().__new__(cls, username)
        me.values = values
        return me

    def get(self, key: Any, default: Any = None) -> Any:
        return self.values.get(key, default)


def value(who: Principal) -> Any:
    """``$me`` for Python evaluation."""
    return _Me(person(who).username, attributes(who))
