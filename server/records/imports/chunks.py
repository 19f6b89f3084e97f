"""One chunk of data rows: converted, validated by the records validator, matched by key, and written.

``check`` turns rows into ``Good`` rows (the values as the columns store them) and ``Bad`` rows (the cells as
they were and one problem per wrong cell); it writes nothing, so the validation pass, the dry run and the
writing pass all call it. ``write`` inserts and updates the good rows with one audit event per record
(``record.created`` / ``record.updated``, as the API writes them, with the import's id), so a record's
history shows where its values came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action, RecordPolicy
from server.db import utcnow
from server.errors import Forbidden, FormInvalid
from server.events import EventKind, SubjectType
from server.records.fields import KINDS
from server.records.imports.convert import CellError, Context, convert, is_blank
from server.records.imports.files import column_letter
from server.records.imports.mapping import Plan
from server.records.values import to_json, validate

AUDIT_BATCH = 500


@dataclass
class Good:
    number: int
    stored: dict[str, Any]
    existing: Mapping[str, Any] | None = None  # the record an update or upsert matched


@dataclass
class Bad:
    number: int
    cells: list[Any]
    problems: list[dict[str, Any]]


@dataclass
class Checker:
    """What checking rows needs, built once per import run."""

    definition: Mapping[str, Any]
    table: Table
    plan: Plan
    policy: RecordPolicy
    who: Principal
    visible: frozenset[str]
    context: Context
    seen: dict[str, set[Any]] = field(default_factory=dict)  # unique field -> values met earlier in the file

    def problem(self, index: int | None, value: Any, message: str) -> dict[str, Any]:
        if index is None:
            return {"column": None, "header": None, "value": None, "message": message}
        return {"column": column_letter(index), "header": self.plan.header[index], "value": _shown(value),
                "message": message}


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _convert(checker: Checker, cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    problems = []
    for index, field_def in checker.plan.columns:
        raw = _cell(cells, index)
        try:
            values[field_def["key"]] = convert(field_def, raw, checker.context)
        except CellError as exc:
            problems.append(checker.problem(index, raw, str(exc)))
    return values, problems


def _validate(checker: Checker, cells: list[Any], values: dict[str, Any], creating: bool
              ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    index_of = {f["key"]: i for i, f in checker.plan.columns}
    try:
        stored = validate(checker.definition, values, creating=creating, visible=checker.visible)
    except FormInvalid as exc:
        problems = []
        for name, message in exc.details.get("fields", {}).items():
            index = index_of.get(name.split(".")[0])
            problems.append(checker.problem(index, _cell(cells, index) if index is not None else None,
                                            f"{name}: {message}" if index is None else str(message)))
        return None, problems
    return stored, []


def _existing(session: Session, checker: Checker, keys: Iterable[Any]) -> dict[Any, Mapping[str, Any]]:
    key = checker.plan.key
    wanted = sorted({k for k in keys if k is not None}, key=str)
    if not key or not wanted:
        return {}
    column = checker.table.c[key]
    rows = session.execute(select(checker.table).where(column.in_(wanted))).all()
    return {r._mapping[key]: dict(r._mapping) for r in rows}


def _taken(session: Session, checker: Checker, field_key: str, values: set[Any]) -> set[Any]:
    if not values:
        return set()
    column = checker.table.c[field_key]
    return set(session.execute(select(column).where(column.in_(sorted(values, key=str)))).scalars())


def check(session: Session, checker: Checker, rows: list[tuple[int, list[Any]]]) -> tuple[list[Good], list[Bad]]:
    plan = checker.plan
    converted = []
    for number, cells in rows:
        values, problems = _convert(checker, cells)
        converted.append((number, cells, values, problems))
    matches = _existing(session, checker, (v.get(plan.key) for _, _, v, p in converted if not p)) if plan.key else {}
    good: list[Good] = []
    bad: list[Bad] = []
    uniques = [f["key"] for _, f in plan.columns if f["unique"]]
    pending: list[tuple[int, list[Any], dict[str, Any], Mapping[str, Any] | None]] = []
    for number, cells, values, problems in converted:
        existing = None
        if not problems and plan.key:
            key_value = KINDS[plan.fields[plan.key]["type"]].to_db(plan.fields[plan.key], values.get(plan.key)) \
                if values.get(plan.key) is not None else None
            existing = matches.get(key_value)
            if key_value is None:
                problems.append(checker.problem(plan.key_index, None, f"the key '{plan.key}' is empty"))
            elif existing is None and plan.mode == "update":
                problems.append(checker.problem(plan.key_index, _cell(cells, plan.key_index),
                                                f"no {checker.definition['key']} record has {plan.key} "
                                                f"'{values[plan.key]}' to update"))
        stored = None
        if not problems:
            stored, problems = _validate(checker, cells, values, creating=existing is None)
        elif existing is None:  # every other wrong cell is named too, not only those that did not convert
            failed = {checker.plan.header.index(p["header"]) for p in problems if p["header"] is not None}
            failed_keys = {f["key"] for i, f in checker.plan.columns if i in failed}
            rest = {k: v for k, v in values.items() if k not in failed_keys}
            _, more = _validate(checker, cells, rest, creating=True)
            problems.extend(p for p in more if p["header"] is None or
                            checker.plan.header.index(p["header"]) not in failed)
        if stored is not None and not problems:
            try:
                checker.policy.require(checker.who, Action.IMPORT, fields=set(values),
                                       record={**(existing or {}), **stored, "created_by": checker.who.username})
            except Forbidden as exc:
                problems.append(checker.problem(None, None, exc.message))
        if problems:
            bad.append(Bad(number, [_shown(c) for c in cells], problems))
        else:
            pending.append((number, cells, stored or {}, existing))
    taken = {k: _taken(session, checker, k, {s[k] for _, _, s, e in pending if s.get(k) is not None and e is None})
             for k in uniques}
    index_of = {f["key"]: i for i, f in plan.columns}
    for number, cells, stored, existing in pending:
        problems = []
        for key in uniques:
            value = stored.get(key)
            if value is None:
                continue
            met = checker.seen.setdefault(key, set())
            if value in met:
                problems.append(checker.problem(index_of[key], _cell(cells, index_of[key]),
                                                f"'{_cell(cells, index_of[key])}' appears earlier in the file; "
                                                f"{key} must be unique"))
            elif existing is None and value in taken[key] or (
                    existing is not None and value != existing.get(key) and _taken(session, checker, key, {value})):
                problems.append(checker.problem(index_of[key], _cell(cells, index_of[key]),
                                                f"is already used by another record; {key} must be unique"))
            met.add(value)
        if problems:
            bad.append(Bad(number, [_shown(c) for c in cells], problems))
        else:
            good.append(Good(number, stored, existing))
    return good, bad


def preview_json(checker: Checker, good: Good) -> dict[str, Any]:
    values = {**(good.existing or {}), **good.stored}
    shown = frozenset(checker.visible & set(values))
    return {"row": good.number, "action": "update" if good.existing else "insert",
            "fields": to_json(checker.definition, values, shown)}


def write(session: Session, checker: Checker, good: list[Good], import_id: str,
          fire_rules: bool = False) -> tuple[int, int]:
    """Insert and update the checked rows; returns (inserted, updated)."""
    table, actor, type_key = checker.table, checker.who.username, checker.definition["key"]
    now = utcnow()
    system = {"version": 1, "created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor}
    inserts = [g for g in good if g.existing is None]
    events: list[Event] = []
    if inserts:
        keys = [f["key"] for f in checker.definition["fields"]]
        rows = [{**dict.fromkeys(keys), **g.stored, **system} for g in inserts]
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        for g, record_id in zip(inserts, ids, strict=True):
            changes = {k: {"old": None, "new": v} for k, v in _json(checker, g.stored).items()}
            events.append(Event(EventKind.RECORD_CREATED, actor, SubjectType.RECORD,
                                subject_id=f"{type_key}:{record_id}",
                                data={"type": type_key, "id": record_id, "version": 1, "changes": changes,
                                      "import": import_id, "fireRules": fire_rules}))
    updated = 0
    for g in good:
        if g.existing is None:
            continue
        old = g.existing
        changed = {k: v for k, v in g.stored.items() if old.get(k) != v}
        if not changed:
            continue
        version = old["version"] + 1
        session.execute(update(table).where(table.c.id == bindparam("_id")),
                        [{**changed, "version": version, "updated_at": now, "updated_by": actor, "_id": old["id"]}])
        before, after = _json(checker, {k: old[k] for k in changed}), _json(checker, changed)
        events.append(Event(EventKind.RECORD_UPDATED, actor, SubjectType.RECORD,
                            subject_id=f"{type_key}:{old['id']}",
                            data={"type": type_key, "id": old["id"], "version": version, "import": import_id,
                                  "fireRules": fire_rules,
                                  "changes": {k: {"old": before[k], "new": after[k]} for k in changed}}))
        updated += 1
    for start in range(0, len(events), AUDIT_BATCH):
        publish(session, events[start:start + AUDIT_BATCH])
    return len(inserts), updated


def _json(checker: Checker, values: Mapping[str, Any]) -> dict[str, Any]:
    fields = [f for f in checker.definition["fields"] if f["key"] in values]
    return to_json({"fields": fields}, values, frozenset(values))


__all__ = ["Bad", "Checker", "Good", "check", "is_blank", "preview_json", "write"]
