"""Abort mode's auto-numbers, reserved before the first chunk is written.

Abort mode promises that a file with one bad row writes nothing, yet the records are written in chunks of
their own transactions (resume, not roll back). A formula that reads an auto-number could pass the
validation pass (checked with a sample number) and fail with the number the row really gets, after earlier
chunks committed. So, for a type with both, the numbers are settled first, in one transaction: each
counter is locked, every row to insert gets, in file order, the number it will be written with, its
formulas are computed with it, and only if none fails are the counters moved on by the number of inserts
and the reservation (``record_import.numbers``) stored with the import's move to ``writing``. The chunks
then take their numbers from it (the n-th insert of the file gets first + n - 1), also when a resumed worker
writes them. A file that fails here has written nothing and taken no number.

An import that ends before writing every reserved number (cancelled midway, or failed when a row changed
between the check and the write) gives the unused tail back when it can (``give_back``): if the counter
still stands at the reservation's last number, nobody has been handed a number since, so moving it back to
the last number written leaves the numbers unique, gap-free and in creation order — the same as a rolled-
back create. If another create took a number after the reservation, the tail is not given back: handing a
lower number out later would put numbers out of creation order, and keeping a list of holes to fill would
make "the next number" depend on which holes exist (and ``WO-{yyyy}`` periods end). That gap is then
unavoidable, and the import says which numbers it skipped (its message and ``numbers.skipped``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from server.db import Database, utcnow
from server.errors import BomsError
from server.models import RecordImport
from server.records.imports.chunks import Bad, Checker, Converted, bad_row, check, formula_problems
from server.records.numbering import number_text, take


def _autos(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in definition["fields"] if f["type"] == "auto_number"]


def needed(definition: Mapping[str, Any]) -> bool:
    """Whether a formula could fail on the number a row gets: the type has both."""
    return bool(_autos(definition)) and any(f["type"] == "formula" for f in definition["fields"])


def reserve(database: Database, import_id: str, checker: Checker, chunks: Iterable[list[Converted]],
            then: Callable[[Session], Any]) -> list[Bad]:
    """Check every insert's formulas with its real numbers and reserve them (see the module's docstring),
    running ``then`` in that transaction; the rows that fail (then nothing is reserved and ``then`` not run)."""
    definition, autos, at = checker.definition, _autos(checker.definition), utcnow()
    bad: list[Bad] = []
    with database.write() as session:
        last = {f["key"]: take(session, definition["key"], f, at, 0) for f in autos}  # locked until commit
        count = 0
        for converted in chunks:
            cells = {number: row_cells for number, row_cells, _, _ in converted}
            good, refused = check(session, checker, None, validated=True, converted=converted)
            bad.extend(refused)
            for row in good:
                if row.existing is not None:
                    continue
                count += 1
                numbers = {f["key"]: number_text(f, at, last[f["key"]] + count) for f in autos}
                problems = formula_problems(checker, cells[row.number], row.stored, None, numbers)
                if problems:
                    bad.append(bad_row(row.number, cells[row.number], problems))
        if bad:
            return sorted(bad, key=lambda b: b.number)
        for f in autos:
            take(session, definition["key"], f, at, count)
        session.execute(update(RecordImport).where(RecordImport.id == import_id).values(
            numbers={"at": at.isoformat(), "first": {k: v + 1 for k, v in last.items()}, "count": count}))
        then(session)
    return []


def reserved(definition: Mapping[str, Any], reservation: Mapping[str, Any] | None, offset: int
             ) -> Callable[[int], dict[str, list[str]]] | None:
    """The numbers of the next ``n`` inserts after ``offset`` written ones, from an import's reservation."""
    if not reservation:
        return None
    at = datetime.fromisoformat(reservation["at"])
    fields = {f["key"]: f for f in _autos(definition)}

    def numbers(n: int) -> dict[str, list[str]]:
        if offset + n > reservation["count"] or set(reservation["first"]) != set(fields):
            raise BomsError(f"the file now has more rows to insert than the {reservation['count']} auto-numbers "
                            f"reserved for it (a row changed between the check and the write); {offset} records "
                            "were written before it")
        return {key: [number_text(fields[key], at, first + offset + j) for j in range(n)]
                for key, first in reservation["first"].items()}
    return numbers


def give_back(session: Session, definition: Mapping[str, Any], reservation: Mapping[str, Any] | None,
              used: int) -> tuple[dict[str, Any] | None, str | None]:
    """At the end of an import that reserved numbers and wrote ``used`` inserts: give the unused numbers back
    if no one took a number since (see the module's docstring). (the reservation with what became of the
    rest — ``returned`` or ``skipped``, each field's first and last number —, a sentence for the import's
    message); (the reservation, None) when every number was used or none was reserved."""
    if not reservation or used >= reservation["count"] or "returned" in reservation or "skipped" in reservation:
        return reservation, None
    at = datetime.fromisoformat(reservation["at"])
    fields = {f["key"]: f for f in _autos(definition)}
    if set(reservation["first"]) != set(fields):
        return reservation, None  # the type's auto-numbers changed since: nothing to give back to
    last = {key: first + reservation["count"] - 1 for key, first in reservation["first"].items()}
    spans = {key: {"first": number_text(fields[key], at, first + used), "last": number_text(fields[key], at,
                                                                                            last[key])}
             for key, first in reservation["first"].items()}
    # Locked until this transaction commits, so no create takes a number between the look and the move.
    current = {key: take(session, definition["key"], fields[key], at, 0) for key in fields}
    shown = "; ".join(f"{key} {span['first']} to {span['last']}" for key, span in spans.items())
    if current == last:
        for field in fields.values():
            take(session, definition["key"], field, at, used - reservation["count"])
        return ({**reservation, "returned": spans},
                f"the {reservation['count'] - used} auto-numbers reserved for the rows not written were given "
                f"back ({shown})")
    return ({**reservation, "skipped": spans},
            f"the auto-numbers reserved for the rows not written stay unused ({shown}): other records were "
            "numbered after them meanwhile, and numbers are given in creation order, never twice")
