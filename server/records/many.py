"""Relations to many records (``"type": "relation", "multiple": true``): a link table per relation field.

``lnk_<type>_<field>`` holds (source_id, target_id) pairs with real foreign keys to both tables: a source
record's links go with it (ON DELETE CASCADE), while a target with links cannot be deleted behind the
service's back (the service first does what ``onDelete`` says: restrict, set_null = unlink, cascade).
The API value is the sorted list of the target ids; it is read with the record by one aggregate subquery
(``id_list``) and written by replacing the pairs that changed, in the record's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    delete,
    exists,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from server.expressions import ListColumn
from server.expressions.sql_functions import json_list_has
from server.records import money

MAX_LINKS = 1000


def is_many(field: Mapping[str, Any]) -> bool:
    return field["type"] == "relation" and bool(field.get("multiple"))


def many_fields(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in definition["fields"] if is_many(f)]


def link_name(type_key: str, field_key: str) -> str:
    return f"lnk_{type_key}_{field_key}"[:63]


@lru_cache(maxsize=256)
def _link(type_key: str, field_key: str, target: str) -> Table:
    metadata = MetaData()
    Table(f"rec_{type_key}", metadata, Column("id", Integer, primary_key=True))
    if target != type_key:
        Table(f"rec_{target}", metadata, Column("id", Integer, primary_key=True))
    name = link_name(type_key, field_key)
    table = Table(
        name, metadata,
        Column("source_id", Integer, ForeignKey(f"rec_{type_key}.id", ondelete="CASCADE",
                                                name=f"fk_{name}_source"[:63]), primary_key=True),
        Column("target_id", Integer, ForeignKey(f"rec_{target}.id", name=f"fk_{name}_target"[:63]),
               primary_key=True),
    )
    Index(f"ix_{name}_target"[:63], table.c.target_id, table.c.source_id)
    return table


def link_table(type_key: str, field: Mapping[str, Any]) -> Table:
    return _link(type_key, field["key"], field["target"])


def create_links(session: Session, old: Mapping[str, Any] | None, new: Mapping[str, Any],
                 removed: Mapping[str, Mapping[str, Any]]) -> None:
    """The link tables of the many-relations ``new`` adds (a removed field brought back keeps its table)."""
    before = {f["key"] for f in many_fields(old)} if old else set()
    kept = {k for k, f in removed.items() if is_many(f)}
    for field in many_fields(new):
        if field["key"] not in before and field["key"] not in kept:
            link_table(new["key"], field).create(session.connection(), checkfirst=True)


def drop_links(session: Session, type_key: str, field: Mapping[str, Any]) -> None:
    """Purge a removed many-relation: its link table and the pairs in it."""
    link_table(type_key, field).drop(session.connection(), checkfirst=True)


class id_list(FunctionElement[str]):  # noqa: N801 - SQLAlchemy's convention for SQL functions
    """The ids of a column's group as one text ("3,7,12"); what a record's many-relation reads as."""

    type = String()
    name = "id_list"
    inherit_cache = True


@compiles(id_list)
def _id_list(element: Any, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(id_list, "postgresql")
def _id_list_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"string_agg(CAST({column} AS TEXT), ',' ORDER BY {column})"


def read_value(type_key: str, field: Mapping[str, Any], source_id: Any) -> Any:
    """The scalar subquery of one record's target ids (``source_id``: the outer table's id column)."""
    link = link_table(type_key, field)
    return select(id_list(link.c.target_id)).where(link.c.source_id == source_id).scalar_subquery()


def as_ids(raw: Any) -> list[int]:
    """A read value ("3,7", a JSON list, or null) as the sorted list of ids."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        return sorted(int(v) for v in raw)
    text = str(raw)
    if text.startswith("["):
        return sorted(int(v) for v in json.loads(text))
    return sorted(int(v) for v in text.split(","))


def columns_only(definition: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as the record table's columns: without the many-relations (they are no column of it), a
    per-record-currency amount as its two columns (server/records/money.py)."""
    many = {f["key"] for f in many_fields(definition)}
    return money.columns_of(definition, {k: v for k, v in values.items() if k not in many})


def with_links(session: Session, definition: Mapping[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A loaded record with each many-relation's current ids (the table row alone does not hold them)."""
    for field in many_fields(definition):
        link = link_table(definition["key"], field)
        record[field["key"]] = sorted(session.execute(
            select(link.c.target_id).where(link.c.source_id == record["id"])).scalars())
    return record


def write_links(session: Session, definition: Mapping[str, Any], record_id: int, old: Mapping[str, Any] | None,
                new: Mapping[str, Any]) -> None:
    """Make the link tables hold ``new``'s lists (only the many-relations it names)."""
    for field in many_fields(definition):
        if field["key"] not in new:
            continue
        link = link_table(definition["key"], field)
        before = set(as_ids(old.get(field["key"]))) if old else set()
        after = set(as_ids(new[field["key"]]))
        if before - after:
            session.execute(delete(link).where(link.c.source_id == record_id,
                                               link.c.target_id.in_(sorted(before - after))))
        if after - before:
            session.execute(insert(link), [{"source_id": record_id, "target_id": t} for t in sorted(after - before)])


def pointing_at(session: Session, type_key: str, field: Mapping[str, Any], target_id: int) -> list[int]:
    """The records whose many-relation ``field`` links to ``target_id``, oldest first."""
    link = link_table(type_key, field)
    return list(session.execute(select(link.c.source_id).where(link.c.target_id == target_id)
                                .order_by(link.c.source_id)).scalars())


def unlinked(session: Session, definition: Mapping[str, Any], record: dict[str, Any], field: Mapping[str, Any],
             target_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the record as loaded, its change) for ``set_null`` when ``target_id`` is deleted: a relation to one
    becomes null, a relation to many loses that one id."""
    if not is_many(field):
        return record, {field["key"]: None}
    record = with_links(session, definition, record)
    return record, {field["key"]: [i for i in record[field["key"]] if i != target_id]}


def is_list(field: Mapping[str, Any]) -> bool:
    """Whether a field holds a list a filter tests by membership (server/expressions ListColumn)."""
    return field["type"] == "multi_select" or (field["type"] in ("user", "group", "relation")
                                               and bool(field.get("multiple")))


def list_column(type_key: str, field: Mapping[str, Any], table: Table) -> ListColumn:
    """What a filter reads of a list field: an EXISTS over the link table, or over the JSON list's items."""
    if is_many(field):
        link = link_table(type_key, field)
        return ListColumn("number", lambda v: exists().where(link.c.source_id == table.c.id,
                                                             link.c.target_id == literal(v, Integer())), true())
    column = table.c[field["key"]]
    # a JSON column may hold SQL NULL (never written) or JSON null (cleared): both hold nothing
    present = and_(column.is_not(None), cast(column, Text) != "null")
    return ListColumn("string", lambda v: and_(present, json_list_has(column, literal(json.dumps(v), Text()))),
                      present)
