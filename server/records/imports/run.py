"""An import's run, as a background job (or inline for a small dry run): passes over the file in chunks.

Design (README "Records: import and export"): resume, not roll back. Each chunk of ``CHUNK`` rows is
written in one transaction together with its refused rows and the new resume point (``rows_done``), so a
worker killed mid-import leaves whole chunks only, and the job, claimed again when its lease runs out,
starts after the last committed chunk. With ``onError: abort`` a validation pass reads the whole file
first and writes nothing unless every row is valid; a dry run is that pass alone, keeping a preview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import Database, utcnow
from server.errors import BomsError
from server.events import EventKind, SubjectType
from server.models import RecordImport, RecordImportError, User
from server.records.imports import numbers as reserving
from server.records.imports.chunks import (
    Bad,
    BatchRefused,
    Checker,
    Converted,
    check,
    convert_rows,
    preview_json,
    refused_rows,
    write,
)
from server.records.imports.convert import Context, zone_of
from server.records.imports.files import Table, open_table
from server.records.imports.mapping import make_plan
from server.records.imports.relations import relation_names
from server.records.imports.spool import Spool
from server.records.service import access
from server.records.types import latest
from server.records.values import validator_of

logger = logging.getLogger(__name__)
CHUNK = 1000
PREVIEW_ROWS = 20
TERMINAL = ("done", "failed", "cancelled", "previewed")
Finish = Callable[[Session], Any]


class Cancelled(Exception):
    pass


class Superseded(Exception):
    """Another worker has moved the import on (this one's lease ran out while it still ran): it stops
    without writing or ending anything, so no chunk is written twice."""


def _mine(row: RecordImport, done: int) -> None:
    if row.rows_done != done:
        raise Superseded()


def imports_root(instance_path: Path) -> Path:
    return Path(instance_path) / "imports"


def users_context(session: Session) -> Context:
    users: dict[str, str] = {}
    for name, display in session.execute(select(User.username, User.display_name).where(User.active.is_(True))):
        if display:
            users.setdefault(display.casefold(), name)
    for name, _ in session.execute(select(User.username, User.display_name).where(User.active.is_(True))):
        users[name.casefold()] = name
    return Context(users=users)


def principal_of(session: Session, username: str) -> Principal:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise BomsError(f"the importing user '{username}' is no longer active")
    return Principal.of(user)


def prepare(session: Session, row: RecordImport, root: Path) -> tuple[Table, Checker]:
    who = principal_of(session, row.created_by)
    a = access(session, who, row.type_key, Action.IMPORT)
    options = row.options
    table = open_table(root / row.stored_path, row.file_name, sheet=options.get("sheet"),
                       encoding=options.get("encoding"))
    writable = a.fields(Action.IMPORT)
    plan = make_plan(table.header, a.definition, writable, options)
    context = users_context(session)
    context.relations = relation_names(session, who, (f for _, f in plan.columns))
    if options.get("timezone"):
        context.zone = zone_of(options["timezone"])
    checker = Checker(a.definition, a.table, plan, a.policy, who, a.readable() | writable, context,
                      validator_of(a.definition, a.row.checksum))
    return table, checker


def _chunks(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def _errors(session: Session, import_id: str, bad: list[Bad]) -> None:
    if bad:
        session.execute(insert(RecordImportError), [{"import_id": import_id, "row_number": b.number,
                                                     "cells": b.cells, "problems": b.problems} for b in bad])


def _progress(session: Session, import_id: str, **values: Any) -> RecordImport:
    session.execute(update(RecordImport).where(RecordImport.id == import_id).values(progress_at=utcnow(), **values))
    row = session.get(RecordImport, import_id, populate_existing=True)
    assert row is not None
    # Ended meanwhile (a worker whose lease ran out, still running): its unused auto-numbers may have been
    # given back and taken by a create, so it writes nothing more.
    if row.cancel_requested or row.status in TERMINAL:
        raise Cancelled()
    return row


def _count(table: Table) -> int:
    return table.total if table.total is not None else sum(1 for _ in table.rows())


def _validate_all(database: Database, import_id: str, table: Table, make: Callable[[], Checker],
                  dry_run: bool, spool: Spool | None = None) -> tuple[int, int]:
    """The validation pass: counts, refused rows and (for a dry run) the preview; writes no record.
    ``spool``: keeps the converted rows for the writing pass."""
    checker = make()
    with database.write() as session:
        session.execute(delete(RecordImportError).where(RecordImportError.import_id == import_id))
        _progress(session, import_id, status="validating", rows_done=0, valid=0, invalid=0, preview=[])
    valid = invalid = done = 0
    preview: list[dict[str, Any]] = []
    for chunk in _chunks(table.rows()):
        converted = convert_rows(checker, chunk)
        if spool is not None:
            spool.add(converted)
        with database.write() as session:
            _mine(_progress(session, import_id), done)
            good, bad = check(session, checker, None, converted=converted)
            if len(preview) < PREVIEW_ROWS:
                preview.extend(preview_json(checker, g) for g in good[:PREVIEW_ROWS - len(preview)])
            _errors(session, import_id, bad)
            valid, invalid, done = valid + len(good), invalid + len(bad), done + len(chunk)
            _progress(session, import_id, rows_done=done, valid=valid, invalid=invalid,
                      preview=preview if dry_run else [])
    return valid, invalid


def _write_all(database: Database, row_id: str, table: Table, checker: Checker, skip_invalid: bool,
               start: int, spool: Spool | None = None) -> None:
    done = start
    for converted in _converted(table, checker, start, spool):
        chunk = [(number, cells) for number, cells, _, _ in converted]
        with database.write() as session:
            current = _progress(session, row_id)  # its UPDATE locks the row: chunks commit one at a time
            _mine(current, done)
            # In abort mode the validation pass accepted every row already: they are not validated twice.
            good, bad = check(session, checker, None, validated=not skip_invalid, converted=converted)
            written = current.inserted + current.updated
            if bad and not skip_invalid:
                _changed_meanwhile(bad[0], written)
            fire = bool(current.options.get("fireRules"))
            given = None if skip_invalid else reserving.reserved(checker.definition, current.numbers, current.inserted)
            try:
                with session.begin_nested():
                    inserted, updated = write(session, checker, good, row_id, fire, given)
            except BatchRefused as exc:
                refused = refused_rows(checker, good, dict(chunk), exc)
                if not skip_invalid:
                    _changed_meanwhile(refused[0], written)
                numbers = {b.number for b in refused}
                good, bad = [g for g in good if g.number not in numbers], bad + refused
                inserted, updated = write(session, checker, good, row_id, fire, given)
            _errors(session, row_id, bad)
            done += len(chunk)
            _progress(session, row_id, rows_done=done, inserted=current.inserted + inserted,
                      updated=current.updated + updated, invalid=current.invalid + len(bad),
                      valid=current.valid + len(good))


def _start_writing(database: Database, import_id: str, table: Table, checker: Checker, spool: Spool | None) -> int:
    """After a clean validation pass in abort mode: reserve the auto-numbers if formulas could fail on them
    (server/records/imports/numbers.py) and move to ``writing``; how many rows failed (then nothing is)."""
    def writing(session: Session) -> None:
        _progress(session, import_id, status="writing", rows_done=0, valid=0, invalid=0)

    if not reserving.needed(checker.definition):
        with database.write() as session:
            writing(session)
        return 0
    refused = reserving.reserve(database, import_id, prepare_again(checker), _converted(table, checker, 0, spool),
                                writing)
    if refused:
        with database.write() as session:
            _errors(session, import_id, refused)
            row = _progress(session, import_id, invalid=len(refused))
            _progress(session, import_id, valid=row.valid - len(refused))
    return len(refused)


def _converted(table: Table, checker: Checker, start: int, spool: Spool | None) -> Iterator[list[Converted]]:
    """The rows after ``start``, converted: from the validation pass's spool if this run has one."""
    if spool is not None:
        return spool.read()
    return (convert_rows(checker, chunk) for chunk in _chunks(table.rows(skip=start)))


def _changed_meanwhile(first: Bad, written: int) -> None:
    raise BomsError(f"row {first.number}: {first.problems[0]['message']} (the row changed between the check and "
                    f"the write); {written} records were written before it")


def _end(database: Database, import_id: str, finish: Finish | None, status: str, message: str | None = None
         ) -> None:
    with database.write() as session:
        # Locked: a chunk still committing (another worker's, after a lease ran out) is waited for.
        row = session.get(RecordImport, import_id, with_for_update=True, populate_existing=True)
        if row is None or row.status in TERMINAL:  # ended already (by another worker): its end stands
            if row is not None and finish is not None:
                finish(session)
            return
        if status == "cancelled" and message is None:
            written = row.inserted + row.updated
            message = (f"cancelled; the {written} records written by the chunks committed before stay" if written
                       else "cancelled; nothing was written")
        if row.numbers and status in ("cancelled", "failed"):
            definition = latest_definition(session, row.type_key)
            row.numbers, said = reserving.give_back(session, definition, row.numbers, row.inserted) \
                if definition is not None else (row.numbers, None)
            message = f"{message}; {said}" if said and message else said or message
        row.status, row.message, row.finished_at = status, message, utcnow()
        if not row.dry_run and status != "previewed":
            publish(session, Event(EventKind.RECORD_IMPORTED, row.created_by, subject_type=SubjectType.RECORD_IMPORT,
                                   subject_id=row.id, data={"type": row.type_key, "import": row.id,
                                                            "status": status, "file": row.file_name,
                                                            "inserted": row.inserted, "updated": row.updated,
                                                            "invalid": row.invalid, "mode": row.options.get("mode"),
                                                            **_numbers_said(row.numbers)}))
        if finish is not None:
            finish(session)


def _numbers_said(reservation: dict[str, Any] | None) -> dict[str, Any]:
    """What the end event says of the auto-numbers given back or skipped (numbers.give_back)."""
    return {f"numbers{k.title()}": reservation[k] for k in ("returned", "skipped") if reservation and k in reservation}


def latest_definition(session: Session, type_key: str) -> dict[str, Any] | None:
    found = latest(session, type_key)
    return found.definition if found is not None else None


def run_import(database: Database, instance_path: Path, import_id: str, finish: Finish | None = None) -> None:
    """Run (or resume) an import; every outcome ends in the import's status, never an unhandled error."""
    with database.write() as session:
        row = session.get(RecordImport, import_id)
        if row is None or row.status in TERMINAL:
            if finish is not None:
                finish(session)
            return
        if row.cancel_requested:
            status = None
        else:
            status = row.status
            if row.started_at is None:
                row.started_at = utcnow()
        dry_run, skip_invalid, start = row.dry_run, row.options.get("onError") == "skip", row.rows_done
    if status is None:
        _end(database, import_id, finish, "cancelled", "cancelled before it started; nothing was written")
        return
    spool: Spool | None = None
    try:
        with database.read() as session:
            row = session.get(RecordImport, import_id)
            table, checker = prepare(session, row, imports_root(instance_path))  # type: ignore[arg-type]
        if row.total_rows is None:  # type: ignore[union-attr]
            with database.write() as session:
                _progress(session, import_id, total_rows=_count(table))
        if status in ("pending", "validating") and (dry_run or not skip_invalid):
            spool = None if dry_run else Spool()
            valid, invalid = _validate_all(database, import_id, table, lambda: prepare_again(checker), dry_run,
                                           spool)
            if dry_run:
                _end(database, import_id, finish, "previewed")
                return
            if invalid:
                _end(database, import_id, finish, "failed",
                     f"{invalid} of {valid + invalid} rows are not valid; nothing was written (download the error "
                     "workbook, correct it and import it again, or import with onError skip)")
                return
            start = 0
            refused = _start_writing(database, import_id, table, checker, spool)
            if refused:
                _end(database, import_id, finish, "failed",
                     f"{refused} of {valid} rows fail with the auto-numbers they would be given; nothing was written")
                return
        else:
            with database.write() as session:
                _progress(session, import_id, status="writing")
        _write_all(database, import_id, table, prepare_again(checker), skip_invalid, start, spool)
        _end(database, import_id, finish, "done")
    except Superseded:
        logger.warning("import %s: another worker has taken it over; this one stops", import_id)
    except Cancelled:
        _end(database, import_id, finish, "cancelled")
    except BomsError as exc:
        _end(database, import_id, finish, "failed", exc.message)
    except Exception as exc:  # noqa: BLE001 - the import says it failed instead of a stack trace to the user
        logger.exception("import %s failed", import_id)
        _end(database, import_id, finish, "failed", f"the import stopped on an internal error ({type(exc).__name__})")
    finally:
        if spool is not None:
            spool.close()


def prepare_again(checker: Checker) -> Checker:
    """A fresh checker for the next pass: the values met earlier are per pass."""
    return Checker(checker.definition, checker.table, checker.plan, checker.policy, checker.who, checker.visible,
                   checker.context, checker.validator)


def rate_of(row: RecordImport, now: datetime | None = None) -> tuple[float | None, float | None]:
    """(rows per second, seconds left) of a running import."""
    if row.started_at is None or not row.rows_done:
        return None, None
    elapsed = ((now or utcnow()) - row.started_at).total_seconds()
    if elapsed <= 0:
        return None, None
    rate = row.rows_done / elapsed
    left = max((row.total_rows or row.rows_done) - row.rows_done, 0) / rate if rate else None
    return rate, left
