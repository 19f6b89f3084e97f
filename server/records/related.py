"""Related records both ways, as one person may see them: what a record's relations point to (an order's
customer, a work order's materials) and which records point at it (a customer's orders).

Each side is read through the other type's permissions: its rows (row scope), and the relation field itself
(a record pointing here through a field the reader may not see is not listed). A record is named by its
first text-like field the reader may read that holds something ("#12 Oak board"), else by its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BadRequest, BomsError
from server.models import Group, RecordType, User
from server.records.access import Access, access
from server.records.listing import search_clause
from server.records.many import is_many, link_table

NAMING_KINDS = ("auto_number", "text", "email", "phone", "select")
SHOWN = 20
CHOICES = 200
NAMING_COLUMNS = 4  # the text-like fields a label may come from, in the designer's order


@dataclass(frozen=True)
class Linked:
    id: Any  # a record's id; a username or group name for user and group fields
    label: str


@dataclass
class Incoming:
    """The records of one type pointing at a record through one relation field."""

    type_key: str
    type_name: dict[str, str]
    field_label: dict[str, str]
    filter: str  # the list of them all, in the API's filter syntax
    records: list[Linked] = field(default_factory=list)
    more: bool = False


def _naming_fields(a: Access) -> list[str]:
    readable = a.readable()
    return [f["key"] for f in a.definition["fields"] if f["type"] in NAMING_KINDS and f["key"] in readable]


def _labelled(session: Session, a: Access, ids: list[int], limit: int) -> list[Linked]:
    """The records of ``ids`` the reader may see, named by their first readable text-like field that holds
    something (an empty first field does not leave a bare number), in id order."""
    if not ids:
        return []
    names = _naming_fields(a)[:NAMING_COLUMNS]
    rows = session.execute(select(a.table.c.id, *(a.table.c[n] for n in names))
                           .where(a.table.c.id.in_(ids[:CHOICES]), a.scope(Action.READ))
                           .order_by(a.table.c.id).limit(limit)).all()
    result = []
    for row in rows:
        name = next((str(v) for v in row[1:] if v is not None and str(v).strip()), None)
        result.append(Linked(row[0], f"#{row[0]} {name}" if name else f"#{row[0]}"))
    return result


def _reader(session: Session, who: Principal, type_key: str) -> Access | None:
    try:
        return access(session, who, type_key, Action.READ)
    except BomsError:  # a type the reader may not list: its records are not shown
        return None


def outgoing(session: Session, who: Principal, definition: Mapping[str, Any],
             values: Mapping[str, Any]) -> dict[str, list[Linked]]:
    """Each readable relation field's targets, named (targets outside the reader's rows are left out)."""
    result: dict[str, list[Linked]] = {}
    for f in definition["fields"]:
        if f["type"] != "relation" or f["key"] not in values or values[f["key"]] in (None, []):
            continue
        other = _reader(session, who, f["target"])
        if other is not None:
            value = values[f["key"]]
            result[f["key"]] = _labelled(session, other, value if isinstance(value, list) else [value], CHOICES)
    return result


def incoming(session: Session, who: Principal, type_key: str, record_id: int) -> list[Incoming]:
    """Per relation field of any type pointing at ``type_key``: the first records pointing at this one."""
    found = []
    for row in session.execute(select(RecordType).where(RecordType.is_latest.is_(True))
                               .order_by(RecordType.key)).scalars():
        relations = [f for f in row.definition["fields"] if f["type"] == "relation" and f["target"] == type_key]
        other = _reader(session, who, row.key) if relations else None
        if other is None:
            continue
        for f in relations:
            if f["key"] not in other.readable():
                continue
            if is_many(f):
                link = link_table(row.key, f)
                query = select(link.c.source_id).where(link.c.target_id == record_id).order_by(link.c.source_id)
            else:
                query = select(other.table.c.id).where(other.table.c[f["key"]] == record_id).order_by(
                    other.table.c.id)
            ids = list(session.execute(query.limit(CHOICES)).scalars())
            records = _labelled(session, other, ids, SHOWN + 1)
            if records:
                test = f"{f['key']}|contains({record_id})" if is_many(f) else f"{f['key']} == {record_id}"
                found.append(Incoming(row.key, row.definition["name"], f["label"], test, records[:SHOWN],
                                      len(records) > SHOWN))
    return found


def principals(session: Session, kind: str) -> list[Linked]:
    """What a user or group field with several values offers: the active users (or the groups), by name."""
    if kind == "group":
        names = session.execute(select(Group.name).order_by(Group.name).limit(CHOICES)).scalars()
        return [Linked(name, name) for name in names]
    rows = session.execute(select(User.username, User.display_name).where(User.active.is_(True))
                           .order_by(User.username).limit(CHOICES)).all()
    return [Linked(r[0], f"{r[1]} ({r[0]})" if r[1] else r[0]) for r in rows]


FOUND = 20
MAX_QUERY = 100
MAX_ID = 2**31 - 1  # ids are 32-bit integers (a relation's schema says so too)


def search(session: Session, who: Principal, type_key: str, field_key: str, text: str) -> list[Linked]:
    """What a relation field's search-as-you-type picker offers for ``text``: the newest records of its target
    type the reader may see that have every word in a readable text field (or whose number it is)."""
    a = access(session, who, type_key, Action.READ)
    spec = next((f for f in a.definition["fields"] if f["key"] == field_key), None)
    if spec is None or spec["type"] != "relation" or field_key not in a.readable():
        raise BadRequest(f"{type_key}: no relation field '{field_key}'", field="field")
    other = _reader(session, who, spec["target"])
    if other is None:
        return []
    text = text.strip()[:MAX_QUERY]
    where = [other.scope(Action.READ)]
    number = text.lstrip("#")
    if number.isascii() and number.isdigit() and int(number) <= MAX_ID:  # beyond: no record (PostgreSQL refuses it)
        where.append(or_(other.table.c.id == int(number),
                         search_clause(text, other.json_definition, other.columns())))
    elif text:
        where.append(search_clause(text, other.json_definition, other.columns()))
    ids = list(session.execute(select(other.table.c.id).where(*where).order_by(other.table.c.id.desc())
                               .limit(FOUND)).scalars())
    return list(reversed(_labelled(session, other, ids, FOUND)))
