"""Abort mode's auto-numbers, reserved before the first chunk is written.

Abort mode promises that a file with one bad row writes nothing, yet the records are written in chunks of
their own transactions (resume, not roll back). A formula that reads an auto-number could pass the
validation pass (checked with a sample number) and fail with the number the row really gets, after earlier
chunks committed. So, for a type with both, the numbers are settled first, in one transaction: each
counter is locked, every row to insert gets, in file order, the number it will be written with, its
formulas are computed with it, and only if none fails are the counters moved on by the number of inserts
and the reservation (``record_import.numbers``) stored with the import's move to ``writing``. The chunks
then take their numbers from it (the n-th insert of the file gets first + n - 1), also when a resumed worker
writes them. A file that fails here has written nothing and taken no number. Numbers reserved for rows an
import then does not write (cancelled midway, or a row that changed between the check and the write) are
not given back.
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
