"""A list of records in the database: filter (JEXL compiled to WHERE), multi-key sort, offset or keyset pages.

Only the fields the caller may read are columns here, so a hidden field in a filter or sort is an unknown
field, exactly as a field that does not exist (its existence never leaks).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, String, Table, and_, false, func, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList, Null

from server.errors import BadRequest
from server.expressions import ExpressionError, FilterError, ListColumn, UnknownNameError, compile_filter
from server.expressions.sql_functions import text_contains
from server.queries import MAX_PAGE_SIZE, PageRequest, SortKey, after
from server.queries.paging import MAX_CURSOR
from server.records import me, money

SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by")
MAX_SORT_KEYS = 5
MAX_FILTER = 2000


def filter_clause(text: str, columns: dict[str, Column[Any]]) -> ColumnElement[bool]:
    if len(text) > MAX_FILTER:
        raise BadRequest(f"filter is longer than {MAX_FILTER} characters", field="filter")
    try:
        return compile_filter(text, columns)
    except ExpressionError as exc:
        raise filter_error(exc, columns) from None


def filter_error(exc: ExpressionError, columns: Mapping[str, Any]) -> BadRequest:
    """What a filter that does not compile is refused with, naming the field or the mistake."""
    if isinstance(exc, UnknownNameError):
        if me.is_me(exc.name):
            return BadRequest(f"filter: '{exc.name}' is no attribute of the user (known: {', '.join(me.names())})",
                              field="filter")
        refused = money.refused_filter(exc.name, columns)
        if refused is not None:
            return refused
        names = ", ".join(sorted(n for n in columns if not me.is_me(n)))
        return BadRequest(f"filter: no field '{exc.name}' you can filter on (fields: {names})", field="filter")
    if isinstance(exc, FilterError):
        return BadRequest(f"filter: {exc}", field="filter")
    return BadRequest(f"filter is not a valid expression: {exc}", field="filter")


SEARCHED = ("text", "long_text", "email", "url", "phone", "select", "auto_number")
MAX_SEARCH = 200


def search_clause(text: str, definition: Mapping[str, Any], columns: Mapping[str, Any]) -> ColumnElement[bool]:
    """``q=``: every word of ``text`` occurs, ignoring case, in some readable text field (a substring test in
    SQL; a word in a hidden field finds nothing, as if it were not there)."""
    if len(text) > MAX_SEARCH or "\x00" in text:
        raise BadRequest(f"q: at most {MAX_SEARCH} characters of text", field="q")
    searched = [columns[f["key"]] for f in definition["fields"] if f["type"] in SEARCHED and f["key"] in columns]
    words = text.lower().split()[:10]
    if not words:
        return true()
    if not searched:
        return false()
    return and_(*(or_(*(and_(c.is_not(None), text_contains(func.lower(c), literal(w, String())))
                        for c in searched)) for w in words))


def projection(text: str | None, readable: frozenset[str]) -> frozenset[str] | None:
    """``fields=a,b``: only those fields in each record (system fields always); None: every readable field."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in readable]
    if unknown or not names:
        raise BadRequest(f"fields: no field '{unknown[0] if unknown else ''}' you can read (fields: "
                         f"{', '.join(sorted(readable))})", field="fields")
    return frozenset(names)


@dataclass(frozen=True)
class RecordOrder:
    """The sort keys of a list, ended by the id (in the last key's direction); what server.queries.after()
    walks for keyset pages."""

    keys: tuple[tuple[SortKey, bool], ...]
    token: str

    def sort_keys(self) -> list[tuple[SortKey, bool]]:
        return list(self.keys)

    def clauses(self) -> list[ColumnElement[Any]]:
        result = []
        for key, descending in self.keys:
            clause = key.column.desc() if descending else key.column.asc()
            result.append(clause.nulls_last() if key.nullable else clause)
        return result


def present(where: ColumnElement[bool] | None) -> frozenset[int]:
    """The columns (by id) ``where`` requires to hold a value: a top-level ``c IS NOT NULL`` conjunct, as the
    filter compiler writes before each comparison. Sorting by such a column needs no NULLS LAST, and without it
    the database can walk the column's index in either direction instead of sorting the matches."""
    if where is None:
        return frozenset()
    found: set[int] = set()
    pending: list[Any] = [where]
    while pending:
        clause = pending.pop()
        if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
            pending.extend(clause.clauses)
        elif isinstance(clause, BinaryExpression) and clause.operator is operators.is_not \
                and isinstance(clause.right, Null) and isinstance(clause.left, Column):
            found.add(id(clause.left))
    return frozenset(found)


def order_of(text: str | None, columns: dict[str, Any], table: Table, filled: frozenset[int] = frozenset()
             ) -> RecordOrder:
    """The order ``sort=`` names; ``filled``: the columns the filter keeps to rows holding a value (present())."""
    columns = {k: v for k, v in columns.items() if not isinstance(v, ListColumn)}  # a list has no order
    names = [part.strip() for part in (text or "-id").split(",")]
    if len(names) > MAX_SORT_KEYS or any(not n or n in ("-", "+") for n in names):
        raise BadRequest(f"sort: name 1 to {MAX_SORT_KEYS} fields, comma-separated, '-' for descending",
                         field="sort")
    keys: list[tuple[SortKey, bool]] = []
    used: set[str] = set()
    for name in names:
        descending = name.startswith("-")
        field = name.lstrip("-+")
        if field not in columns and f"{field}.currency" in columns and field not in used:
            # A per-record-currency amount sorts by its currency, then its amount: never as one number.
            used.add(field)
            keys.append((SortKey(columns[f"{field}.currency"], True), descending))  # type: ignore[arg-type]
            keys.append((SortKey(table.c[field], True), descending))  # type: ignore[arg-type]
            continue
        if field not in columns:
            raise BadRequest(f"sort: no field '{field}' you can sort on (fields: {', '.join(sorted(columns))})",
                             field="sort")
        if field in used:
            raise BadRequest(f"sort: '{field}' is named twice", field="sort")
        used.add(field)
        column = columns[field]  # NULLS LAST only where NULLs can be: not in a NOT NULL column, nor a filtered one
        own = isinstance(column, Column) and column.table is table  # a related record's column may be missing
        nullable = field != "id" and not (own and not column.nullable) and id(column) not in filled
        keys.append((SortKey(column, nullable), descending))  # type: ignore[arg-type]
    if "id" not in used:  # the tie-breaker runs the way the last key does: an index on that key (whose entries
        # end with the row id on SQLite) then gives the whole order, walked forwards or backwards, with no sort
        keys.append((SortKey(table.c.id, False), keys[-1][1] if keys else False))  # type: ignore[arg-type]
    return RecordOrder(tuple(keys), ",".join(names))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is Decimal:
            return Decimal(value)
        if kind is bool and isinstance(value, bool):
            return value
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is str and isinstance(value, str) and "\x00" not in value:
            return value
    except (TypeError, ValueError, InvalidOperation):
        pass
    raise BadRequest(f"cursor is not valid here: its {column.key} value does not fit; start again without a "
                     "cursor", field="cursor")


def encode_cursor(order: RecordOrder, row: Any) -> str:
    values = [_encode(row._mapping[key.column.key]) for key, _ in order.keys]
    text = json.dumps({"o": order.token, "v": values}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(order: RecordOrder, token: str) -> list[Any]:
    bad = BadRequest("cursor is not valid here: not a cursor of this list; start again without a cursor",
                     field="cursor")
    if len(token) > MAX_CURSOR:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(data, dict) or data.get("o") != order.token or not isinstance(data.get("v"), list) \
            or len(data["v"]) != len(order.keys):
        raise bad
    return [_decode(key.column, value) for (key, _), value in zip(order.keys, data["v"], strict=True)]  # type: ignore[arg-type]


#: A numbered page counts the matches up to this many and no further: an exact count reads every match (at
#: 1,000,000 records, 0.5-1 s), and even a capped one reads a row per match when the filter's fields are
#: indexed apart (measured on SQLite at 1M: 50,000 matches 1.8 s, 1,000 a few ms). Above it the page says
#: "more than 1,000" (``totalAbove``) and the grid pages on by cursor or number without a last page.
COUNT_CAP = 1_000


@dataclass
class RecordPage:
    rows: list[Any]
    size: int
    page: int | None
    total: int | None  # the exact count; None on a cursor page, or when above COUNT_CAP (then capped is True)
    next_cursor: str | None
    capped: bool = False


def count(session: Session, statement: Select[Any], cap: int = COUNT_CAP) -> int:
    """The number of rows ``statement`` selects, counting no further than ``cap`` + 1."""
    matches = statement.order_by(None).with_only_columns(literal(1), maintain_column_froms=True).limit(cap + 1)
    matches = matches.subquery()
    return session.scalar(select(func.count()).select_from(matches)) or 0


def fetch(session: Session, statement: Select[Any], order: RecordOrder, request: PageRequest,
          counted: bool = True) -> RecordPage:
    """A page of ``statement``; a numbered page with its count (up to COUNT_CAP) unless not ``counted``."""
    size = min(request.size, MAX_PAGE_SIZE)
    total: int | None = None
    if request.cursor is not None:
        listed = statement.where(after(order, decode_cursor(order, request.cursor)))  # type: ignore[arg-type]
        page, offset = None, 0
    else:
        listed, page, offset = statement, request.page, (request.page - 1) * size
    rows = [] if offset > 2**62 else list(
        session.execute(listed.order_by(*order.clauses()).offset(offset).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if page is not None and counted:  # a last page that has rows tells its total: no count needed
        total = offset + len(rows) if not more and (rows or offset == 0) else count(session, statement)
    capped = total is not None and total > COUNT_CAP
    return RecordPage(rows, size, page, None if capped else total,
                      encode_cursor(order, rows[-1]) if more else None, capped)
