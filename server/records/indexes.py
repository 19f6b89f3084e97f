"""Which fields of a record type have an index, and the DDL that makes its table hold exactly those.

A field is indexed when its definition says ``"indexed": true`` (the designer's choice: an index speeds the
filters and sorts on it and slows every write a little, so it is not made for every field shown in the list),
when it is a relation (the other side's rollups and the delete checks read by it), or through its unique index.
A plain column gets a b-tree ``ix_<table>_<field>``; a JSON list (multi-select, several users or groups) gets,
on PostgreSQL, a GIN index over ``CAST(column AS JSONB)``, the expression the filter compiler's "holds"
test (``"red" in tags``) compiles to, so ``@>`` finds the rows by it. SQLite cannot index the items of a JSON
list: asking for it there is refused at save, naming the field. A relation to many records is indexed by its
link table already.

``sync`` runs at the end of every save's DDL, in the save's transaction: it creates the indexes the new
definition wants and the table lacks, and drops the ``ix_`` indexes of fields that no longer want one (a
field no longer indexed, removed, or made unique). Indexes of others (``ixa_``: dashboards) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.records.many import is_list, is_many
from server.records.statistics import analyze


def index_name(table: str, key: str) -> str:
    return f"ix_{table}_{key}"[:63]


def _wants(field: Mapping[str, Any]) -> bool:
    if field["unique"] or is_many(field):
        return False  # the unique index serves; a link table has its own
    return field["type"] == "relation" or bool(field.get("indexed"))


def sync(session: Session, table: Table, definition: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]
         ) -> None:
    """Make ``table`` hold the field indexes ``definition`` wants; ``fields``: every field whose column may
    still carry one of ours (the old version's, the removed ones), so only those names are ever dropped."""
    connection = session.connection()
    dialect = connection.dialect.name
    wanted = {}
    for field in definition["fields"]:
        if not _wants(field) or field["key"] not in table.c:
            continue
        if is_list(field) and dialect != "postgresql":
            raise BadRequest(f"record type '{definition['key']}' field '{field['key']}': {dialect} cannot index the "
                             "values of a list field (PostgreSQL can); leave out 'indexed'", field=field["key"])
        wanted[index_name(table.name, field["key"])] = field
    existing = {i["name"] for i in inspect(connection).get_indexes(table.name)}
    ours = {index_name(table.name, key) for key in {*fields, *(f["key"] for f in definition["fields"])}}
    quote = connection.dialect.identifier_preparer.quote
    for name in sorted((existing & ours) - set(wanted)):
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    for name, field in wanted.items():
        if name in existing:
            continue
        column = quote(field["key"])
        if is_list(field):
            connection.exec_driver_sql(f"CREATE INDEX {quote(name)} ON {quote(table.name)} USING gin "
                                       f"((CAST({column} AS JSONB)) jsonb_path_ops)")
        else:  # DDL text, not an Index object: that would join the cached Core table's indexes
            connection.exec_driver_sql(f"CREATE INDEX {quote(name)} ON {quote(table.name)} ({column})")
    if set(wanted) - existing:
        analyze(connection, table.name)  # SQLite plans by statistics a new index has none of (statistics.py)
