"""One real table per record type (``rec_<key>``), a typed column per field, built with SQLAlchemy Core.

Why a table and not a JSON document per record: see README "Records: storage". The table is created when
a type is first saved and altered when a new version adds fields, in the saving transaction (both
databases run DDL transactionally), so a failed save leaves neither the version nor the column behind.
Unique fields get a unique index: the database, not a check-then-insert, refuses a duplicate.

A version may add fields, change labels, help, options, validation, required, list and unique; it may not
remove a field or change its type yet (refused naming the field: keeping data through such changes is
listed as left to do in the README).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import BadRequest, Unprocessable
from server.records.definition import checksum
from server.records.fields import KINDS


def table_name(key: str) -> str:
    return f"rec_{key}"


def _unique_index(table: str, field: str) -> str:
    return f"uq_{table}_{field}"[:63]


def _columns(definition: Mapping[str, Any]) -> list[Column[Any]]:
    return [Column(f["key"], KINDS[f["type"]].column(f), nullable=True) for f in definition["fields"]]


@lru_cache(maxsize=256)
def _table(key: str, digest: str, definition_json: str) -> Table:
    definition = json.loads(definition_json)
    metadata = MetaData()
    name = table_name(key)
    table = Table(
        name, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("version", Integer, nullable=False, default=1),
        Column("created_at", DateTime, nullable=False, default=utcnow),
        Column("created_by", String(150), nullable=False),
        Column("updated_at", DateTime, nullable=False, default=utcnow),
        Column("updated_by", String(150), nullable=False),
        *_columns(definition),
    )
    for field in definition["fields"]:
        if field["unique"]:
            Index(_unique_index(name, field["key"]), table.c[field["key"]], unique=True)
    Index(f"ix_{name}_created_at", table.c.created_at)
    return table


def table_of(definition: Mapping[str, Any]) -> Table:
    """The Core table of a definition (cached by content)."""
    return _table(definition["key"], checksum(definition), json.dumps(definition, sort_keys=True))


def _fill_default(session: Session, table: Table, field: Mapping[str, Any]) -> None:
    if field.get("default") is None:
        return
    value = KINDS[field["type"]].to_db(field, field["default"])
    session.execute(update(table).where(table.c[field["key"]].is_(None)).values({field["key"]: value}))


def _duplicates(session: Session, table: Table, key: str) -> list[Any]:
    column = table.c[key]
    rows = session.execute(select(column).where(column.is_not(None)).group_by(column)
                           .having(func.count() > 1).limit(5)).scalars()
    return list(rows)


def create_or_alter(session: Session, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
    """Make the database hold ``new``: create its table, or add the fields and indexes ``old`` lacks."""
    connection = session.connection()
    table = table_of(new)
    if old is None:
        table.create(connection)
        return
    before = {f["key"]: f for f in old["fields"]}
    after = {f["key"]: f for f in new["fields"]}
    for key in sorted(set(before) - set(after)):
        raise BadRequest(f"record type '{new['key']}': removing the field '{key}' is not supported yet "
                         "(its data would be lost); keep it in the definition", field=key)
    for key in after:
        if key in before and before[key]["type"] != after[key]["type"]:
            raise BadRequest(f"record type '{new['key']}' field '{key}': changing the type from "
                             f"{before[key]['type']} to {after[key]['type']} is not supported yet", field=key)
        if key in before and KINDS[after[key]["type"]].column(after[key]).compile(connection.dialect) != \
                KINDS[before[key]["type"]].column(before[key]).compile(connection.dialect):
            raise BadRequest(f"record type '{new['key']}' field '{key}': changing its length or scale is not "
                             "supported yet", field=key)
    operations = Operations(MigrationContext.configure(connection))
    for field in new["fields"]:
        if field["key"] not in before:
            operations.add_column(table.name, Column(field["key"], KINDS[field["type"]].column(field),
                                                     nullable=True))
            _fill_default(session, table, field)
    for key, field in after.items():
        was_unique = key in before and before[key]["unique"]
        if field["unique"] and not was_unique:
            found = _duplicates(session, table, key)
            if found:
                shown = ", ".join(str(KINDS[field["type"]].to_json(field, v)) for v in found)
                raise Unprocessable(f"record type '{new['key']}' field '{key}' cannot be unique: existing records "
                                    f"share the values {shown}", field=key)
            try:
                with session.begin_nested():
                    index = next(i for i in table.indexes if i.name == _unique_index(table.name, key))
                    index.create(session.connection())
            except IntegrityError:
                raise Unprocessable(f"record type '{new['key']}' field '{key}' cannot be unique: existing "
                                    "records share a value", field=key) from None
        elif was_unique and not field["unique"]:
            operations.drop_index(_unique_index(table.name, key), table_name=table.name)
