"""Who reads a field whose type changes: the type's own formulas (recomputed over every record by the
save, server/records/schema_changes.recompute) and other types' rollups and lookups through a relation
(read in SQL on every query, so a sum over a field that became text would fail every list of theirs: such
a change is refused naming them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.expressions import ExpressionError, compile_expression
from server.models import RecordType
from server.records.fields import KINDS
from server.records.links import NUMERIC, PLAIN_TARGETS
from server.records.many import is_list


def retyped(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Field key -> (before, after) for the fields of both versions whose type changes, or that change
    between one and many (a user becoming users: a formula reads a list, a lookup no longer can)."""
    before = {f["key"]: f for f in old["fields"]}
    return {f["key"]: (before[f["key"]], f) for f in new["fields"]
            if f["key"] in before and (before[f["key"]]["type"] != f["type"]
                                       or bool(before[f["key"]].get("multiple")) != bool(f.get("multiple")))}


def _names(field: Mapping[str, Any]) -> set[str]:
    try:
        return set(compile_expression(field["expression"]).names)
    except ExpressionError:  # refused by the save's own formula check, naming it
        return set()


def formulas_reading(definition: Mapping[str, Any], keys: set[str]) -> list[str]:
    """The formulas that read any of ``keys``, directly or through other formulas, in definition order."""
    formulas = {f["key"]: _names(f) for f in definition["fields"] if f["type"] == "formula"}
    reached, grown = set(keys), True
    while grown:
        grown = False
        for key, names in formulas.items():
            if key not in reached and names & reached:
                reached.add(key)
                grown = True
    return [key for key in formulas if key in reached and key not in keys]


def _breaks(reader: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why ``reader`` (a rollup or lookup of another type) cannot read the field retyped to ``after``."""
    if reader["type"] == "rollup" and reader["function"] != "count" and (
            after["type"] not in NUMERIC or not KINDS[after["type"]].stored(after)):
        return f"its {reader['function']} needs a number field"
    if reader["type"] == "lookup" and (after["type"] not in PLAIN_TARGETS or is_list(after)):
        return f"a lookup cannot read a {after['type']} field" + (" of many" if after.get("multiple") else "")
    return None


def other_readers(session: Session, new: Mapping[str, Any], keys: set[str]) -> list[tuple[str, str, str, str]]:
    """(type, field, the field it reads, why it breaks) for other types' rollups and lookups over ``keys``."""
    after = {f["key"]: f for f in new["fields"]}
    found = []
    rows = session.execute(select(RecordType).where(RecordType.is_latest.is_(True), RecordType.key != new["key"]))
    for row in rows.scalars():
        fields = {f["key"]: f for f in row.definition["fields"]}
        for key, field in fields.items():
            read = None
            if field["type"] == "rollup" and field.get("source") == new["key"]:
                read = field.get("field")
            elif field["type"] == "lookup" and fields.get(field["relation"], {}).get("target") == new["key"]:
                read = field["field"]
            if read in keys and (why := _breaks(field, after[read])):
                found.append((row.key, key, read, why))
    return found


def check_other_readers(session: Session, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Refuse a type change that another type's rollup or lookup could no longer read, naming it."""
    changed = retyped(old, new)
    broken = other_readers(session, new, set(changed)) if changed else []
    if broken:
        type_key, field, read, why = broken[0]
        before, after = changed[read]
        raise BadRequest(f"record type '{new['key']}' field '{read}': changing the type from {before['type']} to "
                         f"{after['type']} would break record type '{type_key}' field '{field}' ({why}); change "
                         "or remove that field first", field=read,
                         readers=[{"type": t, "field": f, "reads": r, "reason": w} for t, f, r, w in broken])
