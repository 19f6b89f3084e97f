"""One chunk of data rows: converted, validated by the records validator, matched by key, and written.

``check`` turns rows into ``Good`` rows (the values as the columns store them) and ``Bad`` rows (the cells as
they were and one problem per wrong cell); it writes nothing, so the validation pass, the dry run and the
writing pass all call it. ``write`` inserts and updates the good rows with one audit event per record
(``record.created`` / ``record.updated``, as the API writes them, with the import's id), so a record's
history shows where its values came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action, RecordPolicy
from server.db import utcnow
from server.errors import Forbidden, FormInvalid
from server.records.batch import BatchRefused, Change, Target, insert_rows, update_rows
from server.records.computed import compute
from server.records.fields import KINDS
from server.records.imports.convert import CellError, Context, column_converter, is_blank
from server.records.imports.files import column_letter
from server.records.imports.mapping import Plan
from server.records.numbering import sample_number
from server.records.references import reference_errors
from server.records.values import RecordValidator, to_json

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
    validator: RecordValidator
    seen: dict[str, set[Any]] = field(default_factory=dict)  # unique field -> values met earlier in the file
    _converters: list[tuple[int, str, Callable[[Any], Any]]] | None = None

    @cached_property
    def has_formulas(self) -> bool:
        return any(f["type"] == "formula" for f in self.definition["fields"])

    def converters(self) -> list[tuple[int, str, Callable[[Any], Any]]]:
        """(column index, field key, the column's converter) of each mapped column, made once per checker."""
        if self._converters is None:
            self._converters = [(i, f["key"], column_converter(f, self.context)) for i, f in self.plan.columns]
        return self._converters

    def problem(self, index: int | None, value: Any, message: str, code: str | None = None,
                params: Mapping[str, Any] | None = None, field: str | None = None) -> dict[str, Any]:
        """One wrong cell (or row, without ``index``); ``code``/``params``/``field`` let the import page say
        it in the reader's language."""
        found: dict[str, Any] = {"column": None, "header": None, "value": None, "message": message}
        if index is not None:
            found.update(column=column_letter(index), header=self.plan.header[index], value=_shown(value))
        if code:
            found.update(code=code, params={k: _shown(v) if not isinstance(v, list) else [_shown(i) for i in v]
                                            for k, v in (params or {}).items()}, field=field)
        return found

    def field_problem(self, name: str, message: Any, cells: list[Any]) -> dict[str, Any]:
        """A validator's message about field ``name`` (a FieldMessage: English text, code, params)."""
        index = {f["key"]: i for i, f in self.plan.columns}.get(name.split(".")[0])
        return self.problem(index, _cell(cells, index) if index is not None else None,
                            f"{name}: {message}" if index is None else str(message),
                            getattr(message, "code", None), getattr(message, "params", None),
                            name if index is None else None)


def bad_row(number: int, cells: list[Any], problems: list[dict[str, Any]]) -> Bad:
    return Bad(number, [_shown(c) for c in cells], problems)


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _convert(checker: Checker, cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    problems = []
    width = len(cells)
    for index, key, convert_cell in checker.converters():
        raw = cells[index] if index < width else None
        try:
            values[key] = convert_cell(raw)
        except CellError as exc:
            problems.append(checker.problem(index, raw, str(exc), exc.code, exc.params))
    return values, problems


def _validate(checker: Checker, cells: list[Any], values: dict[str, Any], creating: bool
              ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    try:
        stored = checker.validator.validate(values, creating=creating, visible=checker.visible)
    except FormInvalid as exc:
        return None, [checker.field_problem(name, message, cells)
                      for name, message in exc.details.get("fields", {}).items()]
    return stored, []


def _existing(session: Session, checker: Checker, keys: Iterable[Any]) -> dict[Any, Mapping[str, Any]]:
    key = checker.plan.key
    wanted = sorted({k for k in keys if k is not None}, key=str)
    if not key or not wanted:
        return {}
    column = checker.table.c[key]
    # Only the records the importer may update: the others are not "existing" for them (a new row with
    # their key is then refused as a unique clash), as the record page would not show them.
    rows = session.execute(select(checker.table).where(
        _among(session, column, wanted), checker.policy.row_filter(checker.who, Action.UPDATE, checker.table.c))).all()
    return {r._mapping[key]: dict(r._mapping) for r in rows}


def _taken(session: Session, checker: Checker, field_key: str, values: set[Any]) -> set[Any]:
    if not values:
        return set()
    column = checker.table.c[field_key]
    return set(session.execute(select(column).where(_among(session, column, values))).scalars())


def _among(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter instead of a thousand for the
    driver to send and the server to parse."""
    ordered = sorted(values, key=str)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among", ordered, type_=ARRAY(column.type)))
    return column.in_(ordered)


Converted = tuple[int, list[Any], dict[str, Any], list[dict[str, Any]]]  # number, cells, values, problems


def convert_rows(checker: Checker, rows: list[tuple[int, list[Any]]]) -> list[Converted]:
    """The cells of ``rows`` as field values, with a problem per cell that does not convert."""
    return [(number, cells, *_convert(checker, cells)) for number, cells in rows]


def check(session: Session, checker: Checker, rows: list[tuple[int, list[Any]]] | None, validated: bool = False,
          converted: list[Converted] | None = None) -> tuple[list[Good], list[Bad]]:
    """``validated``: the validation pass accepted these rows with this checker's definition already, so
    their values are converted to columns without validating them again (keys, permissions and unique
    values are still checked: they depend on the database, which may have changed since). ``converted``:
    the rows as ``convert_rows`` gave them (then ``rows`` is not read)."""
    plan = checker.plan
    if converted is None:
        converted = convert_rows(checker, rows or [])
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
                problems.append(checker.problem(plan.key_index, None, f"the key '{plan.key}' is empty",
                                                "import_key_empty", {"key": plan.key}))
            elif existing is None and plan.mode == "update":
                problems.append(checker.problem(plan.key_index, _cell(cells, plan.key_index),
                                                f"no {checker.definition['key']} record has {plan.key} "
                                                f"'{values[plan.key]}' to update", "import_no_match",
                                                {"type": checker.definition["key"], "key": plan.key,
                                                 "value": values[plan.key]}))
        stored = None
        if not problems and validated:
            creating = existing is None
            stored = checker.validator.plain(values, creating=creating, visible=checker.visible) \
                or checker.validator.converted(values, creating=creating)
        elif not problems:
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
                                       record={**stored, "created_by": checker.who.username} if existing is None
                                       else {**existing, **stored})
            except Forbidden as exc:
                problems.append(checker.problem(None, None, exc.message, "import_forbidden"))
        if problems:
            bad.append(Bad(number, [_shown(c) for c in cells], problems))
        else:
            pending.append((number, cells, stored or {}, existing))
    if not validated:
        pending = _readable(session, checker, pending, bad)
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
                                                f"{key} must be unique", "import_repeated",
                                                {"value": _cell(cells, index_of[key]), "key": key}))
            elif existing is None and value in taken[key] or (
                    existing is not None and value != existing.get(key) and _taken(session, checker, key, {value})):
                problems.append(checker.problem(index_of[key], _cell(cells, index_of[key]),
                                                f"is already used by another record; {key} must be unique",
                                                "import_taken", {"key": key}))
            met.add(value)
        if not problems and not validated:
            problems = formula_problems(checker, cells, stored, existing)
        if problems:
            bad.append(Bad(number, [_shown(c) for c in cells], problems))
        else:
            good.append(Good(number, stored, existing))
    return good, bad


def _readable(session: Session, checker: Checker, pending: list[Any], bad: list[Bad]) -> list[Any]:
    """The pending rows whose relation cells name records the importer may read; the others go to ``bad``.
    A cell may give an id (``12``, or ``12, 14`` for a relation to many) that is no record or one outside
    the importer's read scope: found here, in the validation pass, as the batch write would find it — not
    by the write itself, when an abort-mode import has committed its earlier chunks already."""
    if not pending or not any(f["type"] == "relation" for _, f in checker.plan.columns):
        return pending
    errors = reference_errors(session, checker.who, checker.definition, {i: p[2] for i, p in enumerate(pending)})
    if not errors:
        return pending
    for i, messages in errors.items():
        number, cells, _, _ = pending[i]
        bad.append(bad_row(number, cells, [checker.field_problem(k, m, cells) for k, m in messages.items()]))
    bad.sort(key=lambda b: b.number)
    return [p for i, p in enumerate(pending) if i not in errors]


def formula_problems(checker: Checker, cells: list[Any], stored: Mapping[str, Any],
                     existing: Mapping[str, Any] | None, numbers: Mapping[str, str] | None = None
                     ) -> list[dict[str, Any]]:
    """A formula that fails on the row, found before writing: in the validation pass with a sample number
    (``numbers`` None), then, in abort mode, with the row's real auto-numbers (server/records/imports/
    numbers.py), so abort mode refuses the file before writing anything."""
    if not checker.has_formulas:
        return []
    fields = checker.definition["fields"]
    now = utcnow()
    record = {**{f["key"]: None for f in fields}, **{f["key"]: sample_number(f, now) for f in fields
                                                      if f["type"] == "auto_number"}, **(numbers or {}),
              **(existing or {}), **stored}
    try:
        compute(checker.definition["key"], checker.definition, record)
    except FormInvalid as exc:
        return [checker.field_problem(name, message, cells) for name, message in exc.details.get("fields", {}).items()]
    return []


def preview_json(checker: Checker, good: Good) -> dict[str, Any]:
    values = {**(good.existing or {}), **good.stored}
    shown = frozenset(checker.visible & set(values))
    return {"row": good.number, "action": "update" if good.existing else "insert",
            "fields": to_json(checker.definition, values, shown)}


def write(session: Session, checker: Checker, good: list[Good], import_id: str,
          fire_rules: bool = False, numbers: Callable[[int], dict[str, list[str]]] | None = None
          ) -> tuple[int, int]:
    """Insert and update the checked rows through the records' batch path (auto-numbers, formulas,
    references, one audit event per record carrying the import's id); returns (inserted, updated).
    ``numbers``: the auto-numbers reserved for the next N inserts, in order (else the batch takes them).
    Raises BatchRefused naming the refused rows by their row number in the file."""
    target = Target(checker.who, checker.definition, checker.table, {"import": import_id, "fireRules": fire_rules})
    inserts = {g.number: g.stored for g in good if g.existing is None}
    insert_rows(session, target, inserts, numbers(len(inserts)) if numbers is not None and inserts else None)
    changes = {g.number: Change(dict(g.existing), {k: v for k, v in g.stored.items() if g.existing.get(k) != v})
               for g in good if g.existing is not None}
    changed = update_rows(session, target, changes) if changes else {}
    return len(inserts), len(changed)


def refused_rows(checker: Checker, good: list[Good], cells: Mapping[int, list[Any]], exc: BatchRefused
                 ) -> list[Bad]:
    """The rows the batch path refused, as refused rows of the import (one problem per field named)."""
    bad = []
    for row in exc.details.get("rows", []):
        number = row.get("index")
        error = row.get("error", {})
        problems = []
        for name, message in (error.get("fields") or {}).items():  # FieldMessages: their codes travel on
            problems.append(checker.field_problem(name, message, cells.get(number, [])))
        if not problems:
            problems.append(checker.problem(None, None, error.get("message", "refused"),
                                            "batch_conflict" if error.get("code") == "conflict" else None))
        if number is None:  # the database refused the chunk without naming a row: every row fails with it
            return [Bad(g.number, [_shown(c) for c in cells.get(g.number, [])], problems) for g in good]
        bad.append(Bad(number, [_shown(c) for c in cells.get(number, [])], problems))
    return bad


def _json(checker: Checker, values: Mapping[str, Any]) -> dict[str, Any]:
    fields = [f for f in checker.definition["fields"] if f["key"] in values]
    return to_json({"fields": fields}, values, frozenset(values))


__all__ = ["Bad", "BatchRefused", "Checker", "Converted", "Good", "bad_row", "check", "convert_rows",
           "formula_problems", "is_blank", "preview_json", "refused_rows", "write"]
