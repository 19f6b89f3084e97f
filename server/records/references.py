"""What a record's values refer to: users, groups, and records of other types.

On write, ``check_references`` answers a 422 naming the field when a user, group or related record does not
exist (or the writer may not see that record: a relation to a row outside my scope reads like a missing one).
The foreign key stays the guarantee under concurrency; this check is for the message.

On delete, ``dependants`` lists, for each relation pointing at the type, the records pointing at one record,
so the service can refuse (``restrict``), clear (``set_null``; for a relation to many: unlink) or delete them
(``cascade``) — each change an audited write of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import FormInvalid
from server.forms.validation import FieldMessage
from server.models import Group, RecordType, User
from server.records.many import is_many, pointing_at
from server.records.storage import table_of


def _missing(session: Session, model: Any, column: Any, names: set[str]) -> list[str]:
    found = set(session.execute(select(column).where(column.in_(sorted(names)))).scalars())
    return sorted(names - found)


def check_references(session: Session, who: Principal, definition: Mapping[str, Any],
                     values: Mapping[str, Any]) -> None:
    from server.records.types import latest, policy_of

    errors: dict[str, FieldMessage] = {}
    for field in definition["fields"]:
        key, value = field["key"], values.get(field["key"])
        if value is None or field["type"] not in ("user", "group", "relation"):
            continue
        if field["type"] in ("user", "group"):
            names = set(value) if isinstance(value, list) else {value}
            model, column = (User, User.username) if field["type"] == "user" else (Group, Group.name)
            missing = _missing(session, model, column, names)
            if missing:
                errors[key] = FieldMessage(f"no {field['type']} {', '.join(missing)}", "unknown_" + field["type"],
                                           {"values": missing})
            continue
        row = latest(session, field["target"])
        if row is None:
            errors[key] = FieldMessage(f"no {field['target']} record {value}", "unknown_record", {"id": value})
            continue
        policy = policy_of(row)
        table = table_of(row.definition)
        scope = policy.row_filter(who, Action.READ, table.c)
        wanted = set(value) if isinstance(value, list) else {value}
        found = set(session.execute(select(table.c.id).where(table.c.id.in_(sorted(wanted)), scope)).scalars())
        missing = sorted(wanted - found)
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            errors[key] = FieldMessage(f"no {field['target']} record {shown}", "unknown_record",
                                       {"id": missing[0], "ids": missing[:10]})
    if errors:
        raise FormInvalid(errors)


def reference_errors(session: Session, who: Principal, definition: Mapping[str, Any],
                     rows: Mapping[int, Mapping[str, Any]]) -> dict[int, dict[str, FieldMessage]]:
    """``check_references`` for many rows (by index) with one query per field: each refused row's messages."""
    from server.records.types import latest, policy_of

    errors: dict[int, dict[str, FieldMessage]] = {}
    for field in definition["fields"]:
        key, kind = field["key"], field["type"]
        if kind not in ("user", "group", "relation"):
            continue
        given = {i: (set(v) if isinstance(v, list) else {v}) for i, r in rows.items()
                 if (v := r.get(key)) is not None}
        wanted = set().union(*given.values()) if given else set()
        if not wanted:
            continue
        if kind in ("user", "group"):
            model, column = (User, User.username) if kind == "user" else (Group, Group.name)
            unknown = set(_missing(session, model, column, wanted))
        else:
            row = latest(session, field["target"])
            unknown = wanted
            if row is not None:
                table = table_of(row.definition)
                scope = policy_of(row).row_filter(who, Action.READ, table.c)
                unknown = wanted - set(session.execute(select(table.c.id).where(table.c.id.in_(sorted(wanted)),
                                                                                 scope)).scalars())
        for index, names in given.items():
            missing = sorted(names & unknown, key=str)
            if not missing:
                continue
            if kind == "relation":
                message = FieldMessage(f"no {field['target']} record {missing[0]}", "unknown_record",
                                       {"id": missing[0]})
            else:
                message = FieldMessage(f"no {kind} {', '.join(missing)}", "unknown_" + kind, {"values": missing})
            errors.setdefault(index, {})[key] = message
    return errors


@dataclass(frozen=True)
class Dependants:
    type_key: str
    field: Mapping[str, Any]
    ids: list[int]


def dependants(session: Session, type_key: str, record_id: int) -> list[Dependants]:
    """Every relation to ``type_key`` with the ids of the records pointing at ``record_id`` (oldest first)."""
    found = []
    for row in session.execute(select(RecordType).where(RecordType.is_latest.is_(True))).scalars():
        for field in row.definition["fields"]:
            if is_many(field) and field["target"] == type_key:
                ids = pointing_at(session, row.key, field, record_id)
                if ids:
                    found.append(Dependants(row.key, field, ids))
            elif field["type"] == "relation" and field["target"] == type_key:
                table = table_of(row.definition)
                ids = list(session.execute(select(table.c.id).where(table.c[field["key"]] == record_id)
                                           .order_by(table.c.id)).scalars())
                if ids:
                    found.append(Dependants(row.key, field, ids))
    return found
