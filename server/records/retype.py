"""Changing a field's type (or its column: a text's length, a decimal's scale) keeps the data it can.

Each stored value is read as the old field's JSON, offered to the new field in the forms a person would
type it (``"12"`` for an integer, ``"yes"`` for a yes/no, a date's first ten characters), and kept in the
first form the one validator (server/records/values.validate) accepts. ``preview`` reports, per changed
field, how many records convert and which do not (id, value, why); a save with records that do not convert
is refused listing them, unless the designer chose to clear those values (``clear``). The column is then
swapped in the saving transaction: a new column filled with the converted values, the old one dropped, the
new one renamed to the field's key, so a failure leaves the old column and the old version.

Users and groups convert to and from text (by username or group name; several: separated by commas),
between one and many, and into each other by name (a user ``ops`` becomes the group ``ops``); a value
becomes a user or group only when one of that name exists, so the preview names the records whose values
name nobody. Relations, computed fields (formula, lookup, rollup, auto-number), sub-tables, attachments
and money with a currency per record keep refusing a type change, saying which and what to do instead
(``unsupported``; the designer says it in the reader's language by its ``reason``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alembic.operations import Operations
from sqlalchemy import Column, bindparam, inspect, select, text, update
from sqlalchemy.orm import Session

from server.auth.permissions.records import GroupRows, OwnRows, RecordPolicy
from server.errors import BadRequest, FormInvalid, Unprocessable
from server.models import Group, User
from server.records.fields import KINDS
from server.records.values import validate

CONVERTIBLE = frozenset({"text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date",
                         "datetime", "select", "multi_select", "email", "phone", "url"})
TEXTS = frozenset({"text", "long_text", "email", "phone", "url", "select"})
NUMBERS = frozenset({"integer", "decimal", "money", "percent"})
PRINCIPALS = frozenset({"user", "group"})
PLAIN_TEXTS = frozenset({"text", "long_text"})  # what a user or group converts to and from
BATCH = 1000
SHOWN = 20  # unconvertible records named in a refusal
YES, NO = {"true", "yes", "y", "1", "是"}, {"false", "no", "n", "0", "否"}


COMPUTED = frozenset({"formula", "lookup", "rollup", "auto_number"})
#: why a change of type is refused, by the kind that makes it so (checked in this order)
REASONS = {
    "relation": "a relation keeps its type and its target (its values are ids of records of that type)",
    "computed": "a computed field (formula, lookup, rollup, auto-number) keeps its type (its values are "
                "computed, not typed)",
    "sub_table": "a sub-table keeps its type (its values are rows)",
    "attachment": "an attachment keeps its type (its values are files)",
}


def convertible(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    kinds = {before["type"], after["type"]}
    if kinds & PRINCIPALS:  # user/group <-> text, user <-> group (by name), or one <-> many of the same kind
        return kinds <= PRINCIPALS or (len(kinds & PRINCIPALS) == 1 and bool(kinds & PLAIN_TEXTS))
    return before["type"] in CONVERTIBLE and after["type"] in CONVERTIBLE


def refusal_reason(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """Which kind makes a change of type unsupported: a key of ``REASONS``, or ``other``."""
    kinds = {before["type"], after["type"]}
    if "relation" in kinds:
        return "relation"
    if kinds & COMPUTED:
        return "computed"
    return next((kind for kind in ("sub_table", "attachment") if kind in kinds), "other")


def unsupported(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """Why changing ``before`` into ``after`` is refused, and what to do instead."""
    reason = refusal_reason(before, after)
    why = REASONS.get(reason, f"{before['type']} values do not convert to {after['type']}")
    return (f"changing the type from {before['type']} to {after['type']} is not supported: {why}; add a new field "
            "of the type you want and remove this one (its data stays until purged). Convertible: "
            f"{', '.join(sorted(CONVERTIBLE))} among themselves; user and group to and from text and to each other")


def check_row_scopes(definition: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Refuse a type change under a row scope that reads the field as its old kind: ``own`` compares a user
    field with the reader's name, ``my_groups`` a group field with their groups; a user field turned group
    (``ops`` the group) would silently let the user ``ops`` see those rows, and its members not."""
    scoped = {OwnRows: "user", GroupRows: "group"}
    policy = RecordPolicy.from_config(definition["key"], definition.get("permissions", []))
    for index, grant in enumerate(policy.grants):
        kind = scoped.get(type(grant.rows))
        if kind and getattr(grant.rows, "field", None) == after["key"] and before["type"] == kind \
                and after["type"] != kind:
            raise BadRequest(f"record type '{definition['key']}' field '{after['key']}': permission {index + 1} "
                             f"limits rows by it as a {kind} field (rows '{'own' if kind == 'user' else 'my_groups'}'"
                             f"); change that permission in the same save, or keep the type {kind}",
                             field=after["key"])


def _candidates(value: Any, before: str, after: str) -> list[Any]:
    """The forms in which a person would type ``value`` (the old field's JSON) into the new field."""
    found: list[Any] = [value]
    if isinstance(value, list):
        found += [", ".join(map(str, value))] if after in TEXTS or after in PLAIN_TEXTS else []
        found += [value[0]] if len(value) == 1 else []
    elif isinstance(value, bool):
        found += ["true" if value else "false"] if after in TEXTS else []
    elif isinstance(value, int | float):
        found += [str(value)]
    elif isinstance(value, str):
        stripped = value.strip()
        if after in PRINCIPALS:  # a name with spaces around it is that name; "ann, bob" is two names
            parts = [part.strip() for part in stripped.replace("，", ",").split(",") if part.strip()]
            found = [stripped, parts] if len(parts) > 1 else [stripped, [stripped]] if stripped else []
        else:
            found += [stripped, [stripped]] if stripped else []
        if after == "integer" and stripped.lstrip("+-").isdigit() and len(stripped) <= 18:
            found.append(int(stripped))
        if after == "boolean" and stripped.lower() in YES | NO:
            found.append(stripped.lower() in YES)
        if after in NUMBERS and stripped.replace(",", "").replace(".", "", 1).lstrip("+-").isdigit():
            found.append(stripped.replace(",", ""))
        if after == "date" and before == "datetime":
            found.append(stripped[:10])
        if after == "datetime" and before == "date":
            found.append(f"{stripped}T00:00:00Z")
    return found


def _convert(definition: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any],
             stored: Any) -> tuple[bool, Any, str]:
    """(converts, the new column value, why not) for one stored value of the old field."""
    if stored is None:
        return True, None, ""
    value = KINDS[before["type"]].to_json(before, stored)
    one = {**definition, "fields": [{**after, "required": False, "default": None}]}
    reason = ""
    for candidate in _candidates(value, before["type"], after["type"]):
        try:
            return True, validate(one, {after["key"]: candidate}, creating=False,
                                  visible=frozenset({after["key"]}))[after["key"]], ""
        except FormInvalid as exc:
            reason = reason or str(next(iter(exc.details.get("fields", {}).values()), "does not fit"))
    return False, None, reason


@dataclass
class Retype:
    key: str
    before: str
    after: str
    records: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)  # {id, value, message}
    converted: dict[int, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"field": self.key, "from": self.before, "to": self.after, "records": self.records,
                "unconvertible": len(self.failures), "rows": self.failures[:SHOWN]}


def plan(session: Session, table: Any, definition: Mapping[str, Any], before: Mapping[str, Any],
         after: Mapping[str, Any]) -> Retype:
    """Convert every stored value of the field (in memory: at most the type's rows, in batches)."""
    result = Retype(after["key"], before["type"], after["type"])
    column, last = table.c[after["key"]], 0
    while True:
        rows = session.execute(select(table.c.id, column).where(table.c.id > last, column.is_not(None))
                               .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return result
        converted = {}
        for record_id, stored in rows:
            result.records += 1
            ok, value, why = _convert(definition, before, after, stored)
            if ok:
                converted[record_id] = value
            else:
                result.failures.append(_failure(before, record_id, stored, why))
        for record_id, why in _unknown_names(session, after, converted).items():
            stored = next(v for i, v in rows if i == record_id)
            result.failures.append(_failure(before, record_id, stored, why))
            del converted[record_id]
        result.converted.update(converted)
        last = rows[-1][0]


def _failure(before: Mapping[str, Any], record_id: int, stored: Any, why: str) -> dict[str, Any]:
    shown = KINDS[before["type"]].to_json(before, stored)
    return {"id": record_id, "value": json.loads(json.dumps(shown, default=str)), "message": why}


def _unknown_names(session: Session, after: Mapping[str, Any], converted: Mapping[int, Any]) -> dict[int, str]:
    """Records whose converted user or group names nobody BOMS knows: why, by record id."""
    if after["type"] not in PRINCIPALS:
        return {}
    names = {i: set(v) if isinstance(v, list) else {v} for i, v in converted.items() if v is not None}
    wanted = set().union(*names.values()) if names else set()
    if not wanted:
        return {}
    column = User.username if after["type"] == "user" else Group.name
    known = set(session.execute(select(column).where(column.in_(sorted(wanted)))).scalars())
    return {i: f"no {after['type']} {', '.join(sorted(given - known))}" for i, given in names.items()
            if given - known}


class Unconvertible(Unprocessable):
    code = "unconvertible"


def refuse(type_key: str, found: list[Retype]) -> Unconvertible:
    first = next(r for r in found if r.failures)
    ids = ", ".join(str(f["id"]) for f in first.failures[:SHOWN])
    return Unconvertible(
        f"record type '{type_key}' field '{first.key}': changing {first.before} to {first.after}, "
        f"{len(first.failures)} of {first.records} records would not convert (records {ids}: "
        f"{first.failures[0]['message']}); clear their values (clearUnconvertible) or change the records first",
        field=first.key, changes=[r.summary() for r in found])


def drop_indexes_over(session: Session, operations: Operations, table_name: str, key: str) -> None:
    """Drop every index over the column (a unique one, a dashboard's covering index): SQLite refuses to drop
    an indexed column. A dashboard's index comes back at its next save (server/analytics/indexes.py)."""
    for index in inspect(session.connection()).get_indexes(table_name):
        if key in index["column_names"] or key in index.get("include_columns", []):
            operations.drop_index(index["name"], table_name=table_name)


def swap_column(session: Session, operations: Operations, table: Any, new_column: Column[Any],
                change: Retype) -> None:
    """Replace the field's column by one of the new type holding the converted values (cleared: null)."""
    key, temporary = change.key, f"{change.key}__retype"[:63]
    operations.add_column(table.name, Column(temporary, new_column.type, nullable=True))
    scratch = Column(temporary, new_column.type)
    target = table.__class__(table.name, table.metadata.__class__(), Column("id", table.c.id.type,
                                                                             primary_key=True), scratch)
    writes = [{"_id": record_id, "_value": value} for record_id, value in change.converted.items() if value is not None]
    statement = update(target).where(target.c.id == bindparam("_id")).values({temporary: bindparam("_value")})
    for start in range(0, len(writes), BATCH):  # one executemany per batch, not a round trip per record
        session.execute(statement, writes[start:start + BATCH])
    drop_indexes_over(session, operations, table.name, key)
    operations.drop_column(table.name, key)
    quote = session.connection().dialect.identifier_preparer.quote
    session.execute(text(f"ALTER TABLE {quote(table.name)} RENAME COLUMN {quote(temporary)} TO {quote(key)}"))
