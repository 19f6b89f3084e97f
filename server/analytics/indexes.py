"""The indexes the dashboards' aggregations read: one covering index per chart shape over a record table.

A chart over a record type groups by its dimensions (or, a KPI, ranges over its compare date) and adds up
its measures, filtered by the dashboard's filters. An index on the grouping/range columns that also holds
the measure and filter columns lets the database answer from the index alone (PostgreSQL: an index-only
scan of ``(keys) INCLUDE (measures, filters)``; SQLite: a covering index ``(keys, measures, filters)``),
which reads a fraction of the table's pages. Measured over 1,000,000 contracts (bench/analytics.py,
README "Analytics"): a region grouping fell from ~450 to ~150 ms, a quarter's KPI from ~170 to ~35 ms.

The indexes are BOMS's own (named ``ixa_<table>_<digest>``): saving or deleting a dashboard makes the
database hold exactly the indexes the live dashboards need, creating the missing ones and dropping the
ones nothing needs any more. Columns that cannot sit in a B-tree safely (unbounded text, lists) are left
out; an index is skipped when nothing useful remains.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, inspect, select
from sqlalchemy.orm import Session

from server.models import Dashboard, RecordType
from server.records.storage import table_name, table_of

MAX_KEYS = 3
PREFIX = "ixa_"  # records' own indexes are ix_ and uq_: these are the only ones sync() may drop
OURS = re.compile(r"ixa_[a-z0-9_]+_[0-9a-f]{10}")
MAX_TEXT_LENGTH = 500  # a longer VARCHAR could exceed PostgreSQL's B-tree row size (~2.7 kB)


@dataclass(frozen=True)
class Wanted:
    table: str
    keys: tuple[str, ...]
    include: tuple[str, ...]

    @property
    def name(self) -> str:
        digest = hashlib.sha1(f"{self.keys}|{self.include}".encode()).hexdigest()[:10]
        return f"{PREFIX}{self.table[:46]}_{digest}"


def _indexable(definition: Mapping[str, Any], name: str) -> bool:
    table = table_of(definition)
    if name not in table.c:
        return False
    column = table.c[name]
    try:
        python = column.type.python_type
    except NotImplementedError:
        return False
    if python in (list, dict):
        return False
    unbounded = isinstance(column.type, String) and (column.type.length or MAX_TEXT_LENGTH + 1) > MAX_TEXT_LENGTH
    return not unbounded


def _chart_index(chart: Mapping[str, Any], filters: Iterable[str], definition: Mapping[str, Any]) -> Wanted | None:
    if "compare" in chart:
        keys = [chart["compare"]["field"]]
    else:
        keys = [d["field"] for d in chart.get("dimensions", [])][:MAX_KEYS]
    keys = [k for k in dict.fromkeys(keys) if _indexable(definition, k)]
    if not keys:
        return None
    extra = [m["field"] for m in chart.get("measures", []) if "field" in m] + list(filters)
    include = [f for f in dict.fromkeys(extra) if f not in keys and _indexable(definition, f)]
    return Wanted(table_name(definition["key"]), tuple(keys), tuple(include))


def wanted(session: Session, dashboards: Iterable[Mapping[str, Any]]) -> dict[str, Wanted]:
    """The indexes ``dashboards`` need, by name."""
    types: dict[str, Mapping[str, Any] | None] = {}
    result: dict[str, Wanted] = {}
    for dashboard in dashboards:
        for chart in dashboard["charts"]:
            source = chart["source"]
            if source.get("kind") != "records":
                continue
            key = source["type"]
            if key not in types:
                row = session.execute(select(RecordType).where(RecordType.key == key, RecordType.is_latest.is_(True))
                                      ).scalar_one_or_none()
                types[key] = row.definition if row is not None else None
            definition = types[key]
            if definition is None:
                continue
            filters = [f["field"] for f in dashboard["filters"] if chart["key"] in f.get("charts", [chart["key"]])
                       and f["field"] in {x["key"] for x in definition["fields"]}]
            index = _chart_index(chart, filters, definition)
            if index is not None:
                result[index.name] = index
    return result


def _create(session: Session, index: Wanted) -> None:
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name == "postgresql":
        columns = ", ".join(quote(k) for k in index.keys)
        include = f" INCLUDE ({', '.join(quote(c) for c in index.include)})" if index.include else ""
    else:  # SQLite has no INCLUDE: the trailing columns make the index covering
        columns = ", ".join(quote(k) for k in (*index.keys, *index.include))
        include = ""
    connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {quote(index.name)} ON {quote(index.table)} "
                               f"({columns}){include}")


def sync(session: Session) -> dict[str, list[str]]:
    """Make the record tables hold the indexes the live dashboards need: {"created": [...], "dropped": [...]}."""
    live = session.execute(select(Dashboard.definition).where(Dashboard.is_latest.is_(True),
                                                              Dashboard.deleted_at.is_(None))).scalars()
    needed = wanted(session, live)
    connection = session.connection()
    inspector = inspect(connection)
    tables = {table_name(k) for k in session.execute(select(RecordType.key).distinct()).scalars()}
    existing: dict[str, str] = {}
    for table in sorted(tables & set(inspector.get_table_names())):
        for index in inspector.get_indexes(table):
            name = index["name"] or ""
            if OURS.fullmatch(name) and name.startswith(f"{PREFIX}{table[:46]}_"):
                existing[name] = table
    created = [n for n in sorted(needed) if n not in existing]
    for name in created:
        _create(session, needed[name])
    dropped = [n for n in sorted(existing) if n not in needed]
    quote = connection.dialect.identifier_preparer.quote
    for name in dropped:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(name)}")
    return {"created": created, "dropped": dropped}
