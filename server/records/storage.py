"""One real table per record type (``rec_<key>``), a typed column per field, built with SQLAlchemy Core.

Why a table and not a JSON document per record: see README "Records: storage". The table is created when
a type is first saved and altered when a new version adds fields, in the saving transaction (both
databases run DDL transactionally), so a failed save leaves neither the version nor the column behind.
Unique fields get a unique index: the database, not a check-then-insert, refuses a duplicate; the fields
declared ``indexed`` (and relations) get an index of their own (server/records/indexes.py).

A version may add fields, change labels, help, options, validation, required, list and unique, remove a
field (its column kept until purged) and change a plain field's type (its values converted:
server/records/retype.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import BadRequest, Unprocessable
from server.records import ids, indexes, money, retype
from server.records.definition import checksum
from server.records.fields import KINDS
from server.records.many import create_links


def table_name(key: str) -> str:
    return f"rec_{key}"


def _unique_index(table: str, field: str) -> str:
    return f"uq_{table}_{field}"[:63]


def stored_fields(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in definition["fields"] if KINDS[f["type"]].stored(f)]


def _column(field: Mapping[str, Any]) -> Column[Any]:
    if field["type"] == "relation":  # a real foreign key: the database refuses a missing target
        return Column(field["key"], Integer, ForeignKey(f"{table_name(field['target'])}.id",
                                                        name=f"fk_{field['key']}_{field['target']}"[:63]),
                      nullable=True)
    return Column(field["key"], KINDS[field["type"]].column(field), nullable=True)


def _companions(field: Mapping[str, Any]) -> list[Column[Any]]:
    """The columns a field has beside its own: the currency code of a per-record-currency amount."""
    if money.per_record(field):
        return [Column(money.currency_column(field["key"]), money.COLUMN_TYPE, nullable=True)]
    return []


def _columns(definition: Mapping[str, Any]) -> list[Column[Any]]:
    return [c for f in stored_fields(definition) for c in (_column(f), *_companions(f))]


@lru_cache(maxsize=256)
def _table(key: str, digest: str, definition_json: str) -> Table:
    definition = json.loads(definition_json)
    metadata = MetaData()
    name = table_name(key)
    for target in sorted({f["target"] for f in definition["fields"] if f["type"] == "relation"} - {key}):
        Table(table_name(target), metadata, Column("id", Integer, primary_key=True))  # what the foreign keys name
    table = Table(
        name, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("version", Integer, nullable=False, default=1),
        Column("created_at", DateTime, nullable=False, default=utcnow),
        Column("created_by", String(150), nullable=False),
        Column("updated_at", DateTime, nullable=False, default=utcnow),
        Column("updated_by", String(150), nullable=False),
        *_columns(definition),
        sqlite_autoincrement=True,  # never an id given twice (server/records/ids.py)
    )
    for field in stored_fields(definition):
        if field["unique"]:
            Index(_unique_index(name, field["key"]), table.c[field["key"]], unique=True)
        elif field["type"] == "relation":  # the other side's rollups and the delete checks read by it
            Index(indexes.index_name(name, field["key"]), table.c[field["key"]])
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


def _changed_column(connection: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    if money.per_record(before) != money.per_record(after):
        return True  # one currency <-> a currency per record: a column more or less, not converted
    kinds = KINDS[before["type"]], KINDS[after["type"]]
    if kinds[0].stored(before) != kinds[1].stored(after) or before.get("target") != after.get("target"):
        return True
    return kinds[1].stored(after) and (kinds[1].column(after).compile(connection.dialect) !=
                                       kinds[0].column(before).compile(connection.dialect)
                                       or before.get("target") != after.get("target"))


def create_or_alter(session: Session, old: Mapping[str, Any] | None, new: Mapping[str, Any],
                    removed: Mapping[str, Mapping[str, Any]], clear: bool = False
                    ) -> tuple[dict[str, Mapping[str, Any]], list[dict[str, Any]]]:
    """Make the database hold ``new``: create its table, or add the fields and indexes ``old`` lacks, and
    convert the fields whose type changed (server/records/retype.py; ``clear``: values that do not convert
    are cleared instead of refusing the save). Returns the removed fields and the conversions made.

    A field left out of ``new`` is *removed*: hidden everywhere, its column and data kept (``removed``, the
    fields removed before, returned with this save's) until ``purge_field`` drops it; adding it back with
    the same column brings its data back."""
    connection = session.connection()
    table = table_of(new)
    if old is None:
        table.create(connection)
        ids.start_after_history(session, table, new["key"])
        create_links(session, None, new, {})
        indexes.sync(session, table, new, {})
        return {}, []
    before = {f["key"]: f for f in old["fields"]}
    after = {f["key"]: f for f in new["fields"]}
    kept = {k: f for k, f in removed.items() if k not in after}
    operations = Operations(MigrationContext.configure(connection))
    for key in sorted(set(before) - set(after)):
        kept[key] = before[key]
        if before[key]["unique"] and KINDS[before[key]["type"]].stored(before[key]):
            operations.drop_index(_unique_index(table.name, key), table_name=table.name)
    changes = []
    for key, field in after.items():
        earlier = before.get(key) or removed.get(key)
        if earlier is None:
            continue
        if earlier["type"] != field["type"] or _changed_column(connection, earlier, field):
            if money.per_record(earlier) or money.per_record(field):
                raise BadRequest(f"record type '{new['key']}' field '{key}': a money field with a currency per "
                                 "record cannot change to or from another type or one currency (its amounts "
                                 "would lose or need a currency); add a new field instead", field=key,
                                 retype={"field": key, "from": earlier["type"], "to": field["type"],
                                         "reason": "money"})
            if key not in before:
                raise BadRequest(f"record type '{new['key']}' removed field '{key}': changing the type from "
                                 f"{earlier['type']} to {field['type']} (or its length, scale or target) is not "
                                 "supported; purge the removed field first to reuse its key", field=key)
            if not retype.convertible(earlier, field):
                raise BadRequest(f"record type '{new['key']}' field '{key}': {retype.unsupported(earlier, field)}",
                                 field=key, retype={"field": key, "from": earlier["type"], "to": field["type"],
                                                    "reason": retype.refusal_reason(earlier, field)})
            retype.check_row_scopes(new, earlier, field)
            changes.append(retype.plan(session, table_of(old), new, earlier, field))
    if any(c.failures for c in changes) and not clear:
        raise retype.refuse(new["key"], changes)
    for change in changes:
        if before[change.key]["unique"]:  # dropped with the column; made again below, over the new values
            operations.drop_index(_unique_index(table.name, change.key), table_name=table.name)
        retype.swap_column(session, operations, table, _column(after[change.key]), change)
        before[change.key] = {**after[change.key], "unique": False}
    for field in stored_fields(new):
        key = field["key"]
        if key in removed and key not in before:  # back from removal: its column and data are still there
            if removed[key]["unique"]:
                before[key] = {**removed[key], "unique": False}
            else:
                before[key] = removed[key]
            continue
        if key not in before:
            operations.add_column(table.name, _column(field))
            for companion in _companions(field):
                operations.add_column(table.name, companion)
            _fill_default(session, table, field)
    for key, field in after.items():
        if not KINDS[field["type"]].stored(field):
            continue
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
    create_links(session, old, new, removed)
    indexes.sync(session, table, new, {**removed, **{f["key"]: f for f in old["fields"]}})
    return kept, [c.summary() | {"cleared": [f["id"] for f in c.failures]} for c in changes]


def retype_preview(session: Session, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per field of ``old`` whose type or column ``new`` changes: the conversion it would make (no writes)."""
    connection, found = session.connection(), []
    after = {f["key"]: f for f in new["fields"]}
    for earlier in old["fields"]:
        field = after.get(earlier["key"])
        if field is None or not (earlier["type"] != field["type"] or _changed_column(connection, earlier, field)):
            continue
        if not retype.convertible(earlier, field) or money.per_record(earlier) or money.per_record(field):
            found.append({"field": field["key"], "from": earlier["type"], "to": field["type"],
                          "refused": retype.unsupported(earlier, field) if not retype.convertible(earlier, field)
                          else "a money field with a currency per record keeps its type (its amounts would lose "
                          "or need a currency); add a new field instead"})
            continue
        try:
            retype.check_row_scopes(new, earlier, field)
        except BadRequest as exc:
            found.append({"field": field["key"], "from": earlier["type"], "to": field["type"], "refused": exc.message})
            continue
        found.append(retype.plan(session, table_of(old), new, earlier, field).summary())
    return found


def purge_column(session: Session, definition: Mapping[str, Any], key: str) -> None:
    """Drop a removed field's column and its data (the type's table keeps every other column), and first any
    index over it (SQLite refuses to drop an indexed column; PostgreSQL would drop the index itself)."""
    operations = Operations(MigrationContext.configure(session.connection()))
    name = table_name(definition["key"])
    retype.drop_indexes_over(session, operations, name, key)
    operations.drop_column(name, key)
