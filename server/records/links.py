"""Relations between record types: what a save checks about them, and the SQL that reads through them.

A relation field is a foreign key column (server/records/storage.py). Through it, read in SQL with each
query so they are never stale:
- a *lookup* is a correlated subquery reading the target's field;
- a *rollup* over related records aggregates the source type's rows whose relation points here;
- a *path* ``customer.region`` lets a filter or a sort go through a relation.
Each reads only what the caller may read on the other type: its fields, and its rows (the row scope is part
of the subquery), so a lookup of a customer outside my rows is null, and a rollup counts only my rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Table, func, select, type_coerce
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BadRequest
from server.records import money
from server.records.fields import KINDS
from server.records.many import is_list, is_many, link_table, read_value
from server.records.storage import table_of

NUMERIC = ("integer", "decimal", "money", "percent", "formula", "rollup")
PLAIN_TARGETS = frozenset(KINDS) - {"lookup", "rollup", "sub_table", "multi_select"}


def _bad(message: str, field: str) -> BadRequest:
    return BadRequest(message, field=field)


def _definition_of(session: Session, own: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    from server.records.types import latest

    if key == own["key"]:
        return own
    row = latest(session, key)
    return row.definition if row is not None else None


def _fields(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f["key"]: f for f in definition["fields"]}


def _scale(field: Mapping[str, Any]) -> int:
    if field["type"] == "integer" or (field["type"] == "formula" and field["resultType"] == "integer"):
        return 0
    default = 2 if field["type"] in ("money", "percent") else 4
    return int(field.get("scale", default))


def check_links(session: Session, definition: Mapping[str, Any]) -> None:
    """Relations name existing types; lookups and rollups name fields those types have. Names each mistake."""
    own = _fields(definition)
    for key, field in own.items():
        where = f"record type '{definition['key']}' field '{key}'"
        if field["type"] == "relation" and _definition_of(session, definition, field["target"]) is None:
            raise _bad(f"{where}: no record type '{field['target']}' to relate to (save it first)", key)
        if field["type"] == "lookup":
            if is_many(own[field["relation"]]):
                raise _bad(f"{where}: '{field['relation']}' relates to several records; a lookup reads through a "
                           "relation to one (use a rollup over several)", key)
            target = _definition_of(session, definition, own[field["relation"]]["target"])
            looked = _fields(target).get(field["field"]) if target else None
            if (looked is None or looked["type"] not in PLAIN_TARGETS or not KINDS[looked["type"]].stored(looked)
                    or is_list(looked)  # users or groups (many): a list, as a multi-select
                    or money.per_record(looked)):  # an amount read without its currency would mislead
                raise _bad(f"{where}: '{own[field['relation']]['target']}' has no stored field '{field['field']}' "
                           "to look up", key)
        if field["type"] == "rollup" and "source" in field:
            source = _definition_of(session, definition, field["source"])
            if source is None:
                raise _bad(f"{where}: no record type '{field['source']}' to roll up", key)
            via = _fields(source).get(field["via"])
            if via is None or via["type"] != "relation" or via["target"] != definition["key"]:
                raise _bad(f"{where}: '{field['source']}' has no relation field '{field['via']}' to "
                           f"'{definition['key']}'", key)
            if "field" in field:
                summed = _fields(source).get(field["field"])
                if summed is None or (field["function"] != "count" and (
                        summed["type"] not in NUMERIC or not KINDS[summed["type"]].stored(summed)
                        or money.per_record(summed))):  # never a sum across currencies
                    raise _bad(f"{where}: '{field['source']}' has no number field '{field['field']}' to "
                               f"{field['function']}", key)


@dataclass(frozen=True)
class Other:
    """Another record type as one person sees it."""

    definition: Mapping[str, Any]
    table: Any  # an alias of the type's table
    readable: frozenset[str]
    scope: ColumnElement[bool]


def _other(session: Session, who: Principal, key: str, cache: dict[str, Other | None]) -> Other | None:
    if key not in cache:
        from server.records.types import latest, policy_of

        row = latest(session, key)
        policy = policy_of(row) if row is not None else None
        if row is None or policy is None or not policy.allows(who, Action.READ):
            cache[key] = None
        else:
            # an alias: a relation to the own type (an employee's manager) must not correlate with the outer row
            table = table_of(row.definition).alias(f"through_{key}")
            keys = [f["key"] for f in row.definition["fields"] if KINDS[f["type"]].stored(f) or is_many(f)]
            cache[key] = Other(row.definition, table, policy.fields_for(who, Action.READ, keys),
                               policy.row_filter(who, Action.READ, table.c))
    return cache[key]


@dataclass(frozen=True)
class ReadThrough:
    """What one person's queries of one type read through its relations."""

    #: lookup and rollup field -> (SQL expression labelled with the key, the field to convert its value by)
    computed: dict[str, tuple[ColumnElement[Any], Mapping[str, Any]]]
    #: ``relation.field`` -> SQL expression, for filters and sorts
    paths: dict[str, ColumnElement[Any]]


def read_through(session: Session, who: Principal, definition: Mapping[str, Any], table: Table,
                 readable: frozenset[str]) -> ReadThrough:
    cache: dict[str, Other | None] = {}
    computed: dict[str, tuple[ColumnElement[Any], Mapping[str, Any]]] = {}
    paths: dict[str, ColumnElement[Any]] = {}
    own = _fields(definition)
    for key, field in own.items():
        if key not in readable:
            continue
        if is_many(field):
            computed[key] = (read_value(definition["key"], field, table.c.id).label(key), field)
        elif field["type"] == "relation":
            other = _other(session, who, field["target"], cache)
            for name, target_field in _fields(other.definition).items() if other else ():
                kind = KINDS[target_field["type"]]
                if name in other.readable and kind.can_filter and kind.stored(target_field) \
                        and not money.per_record(target_field):  # no bare amount across currencies
                    paths[f"{key}.{name}"] = select(other.table.c[name]).where(
                        other.table.c.id == table.c[key], other.scope).scalar_subquery().label(f"{key}.{name}")
        elif field["type"] == "lookup":
            other = _other(session, who, own[field["relation"]]["target"], cache)
            if other is not None and field["field"] in other.readable:
                expression = select(other.table.c[field["field"]]).where(
                    other.table.c.id == table.c[field["relation"]], other.scope).scalar_subquery()
                computed[key] = (expression.label(key), {**_fields(other.definition)[field["field"]], "key": key})
        elif field["type"] == "rollup" and "source" in field:
            other = _other(session, who, field["source"], cache)
            if other is None or field["via"] not in other.readable or (
                    "field" in field and field["field"] not in other.readable):
                continue
            column = other.table.c[field["field"]] if "field" in field else None
            aggregate = func.count(column) if field["function"] == "count" else getattr(func, field["function"])(column)
            scale = 0 if field["function"] == "count" else _scale(_fields(other.definition)[field["field"]]) + (
                2 if field["function"] == "avg" else 0)
            via = _fields(other.definition)[field["via"]]
            query = select(type_coerce(aggregate, Numeric(30, scale, asdecimal=True)))
            if is_many(via):  # through the link table: each source record linked to this one counts once
                link = link_table(field["source"], via).alias(f"links_{key}")
                query = query.select_from(other.table.join(link, link.c.source_id == other.table.c.id)).where(
                    link.c.target_id == table.c.id)
            else:
                query = query.where(other.table.c[field["via"]] == table.c.id)
            expression = query.where(other.scope).scalar_subquery()
            computed[key] = (expression.label(key), {**field, "scale": scale})
    return ReadThrough(computed, paths)
