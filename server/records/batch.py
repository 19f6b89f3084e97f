"""Writing many records of one type at once: the bulk API's creates and updates, and imports.

The same checks as one write (server/records/service.py), done for the batch: the compiled validator of
the type's version (server/records/values.validator_of) on every row, the action's field permissions and
row scope per row, the references of all rows in one query per field, auto-numbers taken in one counter
increment (the row lock and the transaction keep them unique and gap-free, as for one create), formulas
per row, then one executemany per statement shape (the link rows of relations to many, server/records/
many.py, too: one executemany per field for new records, a record's changed pairs for an update) and one
append of the audit events (one per record, chained in order) whose subscribers — the rules' outbox — run
in the same transaction. Attachments' files are written by the single path only.

All or nothing: every row is checked even after one failed; if any did, ``BatchRefused`` names each
failing row's index with its error, and the savepoint around the writes leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import insert_many, utcnow
from server.errors import BadRequest, BomsError, Conflict, FormInvalid, NotFound, Unprocessable
from server.events import EventKind, SubjectType
from server.forms.validation import FieldMessage
from server.queries import id_value
from server.records import ids, money
from server.records.access import Access
from server.records.computed import compute
from server.records.many import as_ids, link_table, many_fields, write_links
from server.records.numbering import next_numbers
from server.records.references import reference_errors
from server.records.service import check_version
from server.records.storage import stored_fields
from server.records.values import JsonWriter, to_json, validator_of


class BatchRefused(Unprocessable):
    code = "bulk_refused"


@dataclass
class Target:
    """What writing rows of one type needs, whoever checked them (the bulk API or an import)."""

    who: Principal
    definition: Mapping[str, Any]
    table: Table
    extra: Mapping[str, Any] = field(default_factory=dict)  # added to every event's data (an import's id)

    @property
    def type_key(self) -> str:
        return str(self.definition["key"])

    @classmethod
    def of(cls, a: Access, **extra: Any) -> Target:
        return cls(a.who, a.definition, a.table, extra)


def _single_path_fields(definition: Mapping[str, Any]) -> list[str]:
    """The fields whose values are files, which only the single path writes."""
    return [f["key"] for f in definition["fields"] if f["type"] == "attachment"]


def single_path_only(a: Access) -> bool:
    """Whether the bulk API, the demo data and rule runs send rows of this type one by one through
    server/records/service.py: it stores an attachment's files, and they keep their relations to many
    there too (imports write those link rows through this batch path)."""
    return bool(_single_path_fields(a.definition)) or bool(many_fields(a.definition))


def _refuse_single_path_values(definition: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """The batch statements write no files: a value for an attachment is refused, never dropped."""
    for key in _single_path_fields(definition):
        if any(row.get(key) not in (None, []) for row in rows):
            raise BadRequest(f"field '{key}' of {definition['key']} is written one record at a time, not in a batch",
                             field=key)


def _row_error(index: int, exc: BomsError) -> dict[str, Any]:
    return {"index": index, "status": exc.status, **exc.to_dict()}


def _json(definition: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return to_json({"fields": [f for f in definition["fields"] if f["key"] in values]}, values, frozenset(values))


def check_creates(a: Access, rows: Sequence[Any]) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """Validate create bodies (``{"fields": {...}}``) as one create each would: the stored values by row
    index, and the errors of the rows refused."""
    validator = validator_of(a.definition, a.row.checksum)
    visible = a.readable() | a.fields(Action.CREATE)
    good: dict[int, dict[str, Any]] = {}
    errors = []
    system = {"created_by": a.who.username, "updated_by": a.who.username}
    for index, item in enumerate(rows):
        try:
            if not isinstance(item, Mapping) or set(item) != {"fields"}:
                raise BadRequest("send {\"fields\": {...}}", field="fields")
            values = item["fields"]
            stored = validator.validate(values, creating=True, visible=visible)
            a.policy.require(a.who, Action.CREATE, fields=set(values))
            if not a.covers(Action.CREATE, {**stored, **system}):
                raise BadRequest(f"you may not create this {a.row.key} record: its values are outside your rows")
            good[index] = stored
        except BomsError as exc:
            errors.append(_row_error(index, exc))
    return good, errors


def _duplicates(session: Session, target: Target, rows: Mapping[int, Mapping[str, Any]],
                own: Mapping[int, int] | None = None) -> list[dict[str, Any]]:
    """After the database refused the batch: which rows hold a unique value twice or already taken."""
    table, errors = target.table, []
    for spec in stored_fields(target.definition):
        key = spec["key"]
        if not spec["unique"]:
            continue
        first: dict[Any, int] = {}
        values = {index: row[key] for index, row in rows.items() if row.get(key) is not None}
        taken = {}
        if values:
            found = session.execute(select(table.c.id, table.c[key]).where(table.c[key].in_(set(values.values()))))
            taken = {value: record_id for record_id, value in found}
        for index, value in values.items():
            other = taken.get(value)
            mine = (own or {}).get(index)
            if value in first:
                message = FieldMessage(f"holds the same value as row {first[value]}; it must be unique", "unique",
                                       {"row": first[value]})
            elif other is not None and other != mine:
                message = FieldMessage("is already used by another record", "unique")
            else:
                first[value] = index
                continue
            errors.append(_row_error(index, FormInvalid({key: message})))
    return errors or [{"index": None, "status": 409, **Conflict(
        "the database refused the batch (a related record was deleted meanwhile?); nothing was written").to_dict()}]


def _insert(session: Session, table: Table, type_key: str, rows: list[dict[str, Any]]) -> list[int]:
    """One executemany with the ids given, in the rows' order. An INSERT ... RETURNING of many rows is one
    huge statement that the drivers re-parse on every call (psycopg caches statements of at most 50
    parameters; SQLite runs it row by row to keep the order), so the ids are taken first
    (server/records/ids.py: never one used before)."""
    given = ids.next_ids(session, table, type_key, len(rows))
    for row, record_id in zip(rows, given, strict=True):
        row["id"] = record_id
    insert_many(session, table, rows)
    return given


def _insert_links(session: Session, definition: Mapping[str, Any], rows: Mapping[int, Mapping[str, Any]],
                  made: Mapping[int, int]) -> None:
    """The link rows of the new records' relations to many (server/records/many.py): one executemany a field."""
    for spec in many_fields(definition):
        pairs = [{"source_id": made[i], "target_id": target} for i, row in rows.items()
                 for target in as_ids(row.get(spec["key"]))]
        insert_many(session, link_table(definition["key"], spec), pairs)


def _old_links(session: Session, definition: Mapping[str, Any], changes: Mapping[int, Change]) -> None:
    """Each changed record's current ids of the relations to many the change names (its table row has none)."""
    for spec in many_fields(definition):
        key = spec["key"]
        named = {int(c.old["id"]): c for c in changes.values() if key in c.changed}
        if not named:
            continue
        link = link_table(definition["key"], spec)
        current: dict[int, list[int]] = {record_id: [] for record_id in named}
        for source, target in session.execute(select(link.c.source_id, link.c.target_id).where(
                link.c.source_id.in_(sorted(named))).order_by(link.c.target_id)):
            current[source].append(target)
        for record_id, change in named.items():
            change.old = {**change.old, key: current[record_id]}
            if as_ids(change.changed[key]) == current[record_id]:
                del change.changed[key]


def _without(values: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in keys} if keys else values


def insert_rows(session: Session, target: Target, rows: Mapping[int, dict[str, Any]],
                numbers: Mapping[str, Sequence[str]] | None = None) -> dict[int, int]:
    """Insert checked rows (stored values by row index): numbered, computed, audited; their ids by index.
    ``numbers``: each auto-number field's numbers for the rows in index order, taken already (an import
    reserves its numbers before it writes its first chunk); else they are taken here.
    Raises BatchRefused naming the rows a reference, a formula or a unique index refused."""
    if not rows:
        return {}
    _refuse_single_path_values(target.definition, list(rows.values()))
    errors = [_row_error(i, FormInvalid(e)) for i, e in reference_errors(session, target.who, target.definition,
                                                                           rows).items()]
    if errors:
        raise BatchRefused(_summary(errors, len(rows)), rows=errors[:100])
    definition, who, type_key = target.definition, target.who, target.type_key
    now = utcnow()
    system = {"version": 1, "created_at": now, "created_by": who.username, "updated_at": now,
              "updated_by": who.username}
    blank = dict.fromkeys(f["key"] for f in stored_fields(definition))
    computes = any(f["type"] in ("formula", "rollup") for f in definition["fields"])
    columns = money.columns_of if money.fields_of(definition) else None
    order = sorted(rows)
    prepared: dict[int, dict[str, Any]] = {}
    try:
        with session.begin_nested():
            if numbers is None:
                numbers = {f["key"]: next_numbers(session, type_key, f, now, len(order))
                           for f in definition["fields"] if f["type"] == "auto_number"}
            for position, index in enumerate(order):
                stored = dict(rows[index])
                for key, given in numbers.items():
                    stored[key] = given[position]
                if computes:
                    try:
                        stored.update(compute(type_key, definition, {**blank, **stored}))
                    except FormInvalid as exc:
                        errors.append(_row_error(index, exc))
                prepared[index] = stored
            if errors:
                raise BatchRefused(_summary(errors, len(rows)), rows=errors[:100])
            many = [f["key"] for f in many_fields(definition)]
            made = _insert(session, target.table, type_key, [
                {**blank, **_without(prepared[i], many), **system} if columns is None else columns(definition, {
                    **blank, **_without(prepared[i], many), **system}) for i in order])
            if many:
                _insert_links(session, definition, prepared, dict(zip(order, made, strict=True)))
    except IntegrityError:
        errors = _duplicates(session, target, prepared)
        raise BatchRefused(_summary(errors, len(rows)), rows=errors[:100]) from None
    by_index = dict(zip(order, made, strict=True))
    as_json = JsonWriter(definition)
    publish(session, [Event(EventKind.RECORD_CREATED, who.username, subject_type=SubjectType.RECORD,
                            subject_id=f"{type_key}:{by_index[i]}",
                            data={"type": type_key, "id": by_index[i], "version": 1,
                                  "changes": {k: {"old": None, "new": v} for k, v in
                                              as_json(prepared[i]).items()}, **target.extra})
                      for i in order])
    return by_index


@dataclass
class Change:
    old: dict[str, Any]
    changed: dict[str, Any]


def check_updates(session: Session, a: Access, items: Sequence[Any]
                  ) -> tuple[dict[int, Change], list[dict[str, Any]]]:
    """Lock and check update bodies (``{"id", "fields", "version"}``) as one update each would."""
    validator = validator_of(a.definition, a.row.checksum)
    visible = a.readable() | a.fields(Action.UPDATE)
    wanted = {n for item in items if isinstance(item, Mapping) and (n := id_value(item.get("id"))) is not None}
    loaded = {r._mapping["id"]: money.fold(a.definition, r._mapping) for r in session.execute(
        a.select().where(a.table.c.id.in_(sorted(wanted))).with_for_update())} if wanted else {}
    seen: set[int] = set()
    good: dict[int, Change] = {}
    errors = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, Mapping) or not isinstance(item.get("fields"), Mapping):
                raise BadRequest("send {\"fields\": {...}, \"version\": N}", field="fields")
            number = id_value(item.get("id"))
            old = loaded.get(number) if number is not None else None
            if old is None or not a.policy.allows(a.who, Action.READ) or not a.covers(Action.READ, old):
                raise NotFound(f"no {a.row.key} record {item.get('id')}")
            if number in seen:
                raise BadRequest(f"{a.row.key} record {number} is updated twice in this call", field="id")
            seen.add(number)
            a.policy.require(a.who, Action.UPDATE, record=old)
            check_version(item.get("version"), old["version"], f"{a.row.key} record {number}")
            stored = validator.validate(item["fields"], creating=False, visible=visible)
            a.policy.require(a.who, Action.UPDATE, fields=set(item["fields"]), record=old)
            if not a.covers(Action.UPDATE, {**old, **stored}):  # nor move it out of the rows one may update
                raise BadRequest(f"you may not change this {a.row.key} record so: its values would be outside "
                                 "your rows")
            good[index] = Change(old, {k: v for k, v in stored.items() if old[k] != v})
        except BomsError as exc:
            errors.append(_row_error(index, exc))
    return good, errors


def update_rows(session: Session, target: Target, changes: Mapping[int, Change]) -> dict[int, int]:
    """Write checked changes (by row index) as each record's next version, audited; the ids by index."""
    definition, who, type_key, table = target.definition, target.who, target.type_key, target.table
    _refuse_single_path_values(definition, [c.changed for c in changes.values()])
    many = [f["key"] for f in many_fields(definition)]
    if many:
        _old_links(session, definition, changes)
    errors = [_row_error(i, FormInvalid(e)) for i, e in reference_errors(
        session, who, definition, {i: c.changed for i, c in changes.items()}).items()]
    keys = [f["key"] for f in stored_fields(definition)]
    final: dict[int, dict[str, Any]] = {}
    for index, change in changes.items():
        try:
            merged = {**change.changed, **compute(type_key, definition,
                                                  {**{k: change.old[k] for k in keys}, **change.changed})}
        except FormInvalid as exc:
            errors.append(_row_error(index, exc))
            continue
        final[index] = {k: v for k, v in merged.items() if change.old[k] != v}
    if errors:
        raise BatchRefused(_summary(errors, len(changes)), rows=errors[:100])
    now = utcnow()
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    written = {index: money.columns_of(definition, _without(changed, many)) for index, changed in final.items()}
    for index, changed in written.items():
        if final[index]:  # a change of links alone still makes the record's next version
            groups[tuple(sorted(changed))].append(index)
    try:
        with session.begin_nested():
            for columns, indexes in groups.items():
                statement = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_v"))
                result = session.execute(statement.values({c: bindparam(c) for c in columns} | {
                    "version": bindparam("_next"), "updated_at": now, "updated_by": who.username}), [
                    {**written[i], "_id": changes[i].old["id"], "_v": changes[i].old["version"],
                     "_next": changes[i].old["version"] + 1} for i in indexes])
                if result.rowcount != len(indexes):  # both drivers sum an executemany's rows
                    stale = Conflict(f"a {type_key} record of this batch was changed by someone else meanwhile; "
                                     "reload and retry")
                    raise BatchRefused(_summary([{}], len(changes)),
                                       rows=[{"index": None, "status": stale.status, **stale.to_dict()}])
            for index in final if many else ():
                if any(k in final[index] for k in many):
                    write_links(session, definition, int(changes[index].old["id"]), changes[index].old, final[index])
    except IntegrityError:
        errors = _duplicates(session, target, {i: final[i] for i in final if final[i]},
                             {i: changes[i].old["id"] for i in final})
        raise BatchRefused(_summary(errors, len(changes)), rows=errors[:100]) from None
    events = []
    for index in sorted(final):
        old, changed = changes[index].old, final[index]
        if not changed:
            continue
        before, after = _json(definition, {k: old[k] for k in changed}), _json(definition, changed)
        events.append(Event(EventKind.RECORD_UPDATED, who.username, subject_type=SubjectType.RECORD,
                            subject_id=f"{type_key}:{old['id']}",
                            data={"type": type_key, "id": old["id"], "version": old["version"] + 1,
                                  "changes": {k: {"old": before[k], "new": after[k]} for k in changed},
                                  **target.extra}))
    publish(session, events)
    return {index: int(change.old["id"]) for index, change in changes.items()}


def _summary(errors: list[dict[str, Any]], total: int) -> str:
    return f"{len(errors)} of {total} rows were refused; nothing was written"
