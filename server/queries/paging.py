"""Pages of a SELECT: by number (offset, with the total count) or after a cursor (keyset).

Offset paging is what people use on short lists: page 3 of 7. Its cost grows with the offset (the database
reads and drops every row before the page) and with the COUNT, so deep reads — an export, a client walking
the audit log — follow `nextCursor` instead: an opaque token holding the last row's sort values; the next
page is `WHERE (sort values) after (the cursor's)`, an index range scan whatever the depth. Rows inserted
or deleted meanwhile never shift it, and the unique tie-breaker makes rows with equal sort values keep
their place.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.queries.args import ID_MAX, INT64_MAX, QueryArgs, clean_text
from server.queries.sorting import Order, SortKey

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_CURSOR = 4096


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


def page_request(args: QueryArgs, default_size: int = DEFAULT_PAGE_SIZE,
                 max_size: int = MAX_PAGE_SIZE) -> PageRequest:
    """`page`, `pageSize` and `cursor` from the query string."""
    size = args.integer("pageSize", default_size, 1, max_size)
    cursor = args.text("cursor")
    if cursor == "":
        cursor = None
    if cursor is not None and args.given("page"):
        args.bad("cursor", "cannot be combined with page: a cursor already says where its page starts")
        cursor = None
    return PageRequest(page=args.integer("page", 1) or 1, size=size or default_size, cursor=cursor)


@dataclass
class Page(Generic[T]):
    items: list[T]
    size: int
    page: int | None = None  # offset paging only
    total: int | None = None  # offset paging only, when counted
    next_cursor: str | None = None
    has_more: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil((self.total or 0) / self.size))

    def to_json(self, item: Callable[[T], Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"items": [item(row) for row in self.items], "pageSize": self.size,
                                "nextCursor": self.next_cursor}
        if self.page is not None:
            body["page"] = self.page
        if self.total is not None:
            body["total"] = self.total
        return body


def count(session: Session, statement: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def offset_page(session: Session, statement: Select[Any], order_by: list[ColumnElement[Any]], page: int, size: int,
                *, total: int | None = None, counted: bool = True, clamp: bool = False,
                order: Order | None = None) -> Page[Any]:
    """Page `page` (from 1) of `statement`'s rows.

    `total`: the count if the caller already has it; `counted=False` skips the COUNT (has_more then comes
    from reading one row more); `clamp`: a page beyond the last shows the last (pages people click through);
    `order`: the list's Order, to hand out the cursor of the row after this page.
    """
    if counted and total is None:
        total = count(session, statement)
    if clamp and total is not None:
        page = min(page, max(1, math.ceil(total / size)))
    offset = (page - 1) * size
    if (total is not None and offset >= total) or offset > INT64_MAX - size:
        rows: list[Any] = []  # past the end: no query, and no offset beyond what the database can hold
    else:
        rows = list(session.scalars(statement.order_by(*order_by).offset(offset).limit(size + 1)))
    has_more = len(rows) > size
    rows = rows[:size]
    cursor = encode_cursor(order, rows[-1]) if order is not None and has_more else None
    return Page(rows, size, page=page, total=total if counted else None, next_cursor=cursor, has_more=has_more)


def keyset_page(session: Session, statement: Select[Any], order: Order, size: int,
                cursor: str | None = None) -> Page[Any]:
    """The `size` rows after `cursor` (from the start without one), in `order`."""
    if cursor is not None:
        statement = statement.where(after(order, decode_cursor(order, cursor)))
    rows = list(session.scalars(statement.order_by(*order.clauses()).limit(size + 1)))
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(rows, size, next_cursor=encode_cursor(order, rows[-1]) if has_more else None, has_more=has_more)


def fetch_page(session: Session, statement: Select[Any], order: Order, request: PageRequest,
               total: Callable[[], int] | None = None) -> Page[Any]:
    """What a list endpoint does: a cursor's keyset page, else the numbered page with its total
    (`total`: a cheaper way to count the same rows, asked only when a total is needed)."""
    if request.cursor is not None:
        return keyset_page(session, statement, order, request.size, request.cursor)
    return offset_page(session, statement, order.clauses(), request.page, request.size, order=order,
                       total=total() if total is not None else None)


def iterate(session: Session, statement: Select[Any], order: Order, batch: int = 2000) -> Iterator[Any]:
    """Every row of `statement` in `order`, read in keyset batches so memory stays flat (exports)."""
    values: list[Any] | None = None
    while True:
        chunk = session.scalars((statement if values is None else statement.where(after(order, values)))
                                .order_by(*order.clauses()).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        values = [getattr(chunk[-1], key.attribute) for key, _descending in order.sort_keys()]
        session.expunge_all()


def after(order: Order, values: list[Any]) -> ColumnElement[bool]:
    """Rows that sort after `values` in `order`: (k1 beyond v1) OR (k1 = v1 AND k2 beyond v2) OR ...

    Spelled out rather than as a row-value comparison because directions may differ per key and NULLs
    (sorted last) compare as nothing in SQL.
    """
    alternatives: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    keys = order.sort_keys()
    first, first_descending = keys[0] if keys else (None, False)
    bound = None  # the OR alone leaves an index no range to start from: it would re-read the rows passed
    if first is not None and not first.nullable and values and values[0] is not None:
        bound = first.column <= values[0] if first_descending else first.column >= values[0]
    for (key, descending), value in zip(keys, values, strict=True):
        column = key.column
        if value is not None:  # nothing sorts after NULL but the later keys among the NULLs
            beyond = column < value if descending else column > value
            alternatives.append(and_(*equal, or_(beyond, column.is_(None)) if key.nullable else beyond))
        equal.append(column.is_(None) if value is None else column == value)
    if not alternatives:
        return false()
    return and_(bound, or_(*alternatives)) if bound is not None else or_(*alternatives)


# --- the cursor token ------------------------------------------------------------------------------


def _limit(key: SortKey) -> int:
    return INT64_MAX if isinstance(key.column.type, BigInteger) else ID_MAX


def _python_type(key: SortKey) -> type:
    try:
        return key.column.type.python_type
    except NotImplementedError:
        return str


def encode_cursor(order: Order, row: Any) -> str:
    values = []
    for key, _descending in order.sort_keys():
        value = getattr(row, key.attribute)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    text = json.dumps({"o": order.token, "v": values}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _bad_cursor(reason: str) -> BadRequest:
    return BadRequest(f"cursor is not valid here: {reason}; start again without a cursor", field="cursor")


def decode_cursor(order: Order, token: str) -> list[Any]:
    """The sort values in `token`, checked against `order`'s keys and their column types."""
    if len(token) > MAX_CURSOR:
        raise _bad_cursor("too long")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise _bad_cursor("not a cursor this server handed out") from exc
    if not isinstance(data, dict) or not isinstance(data.get("v"), list):
        raise _bad_cursor("not a cursor this server handed out")
    if data.get("o") != order.token:
        raise _bad_cursor(f"it was made for sort={data.get('o')}, not sort={order.token}")
    keys = order.sort_keys()
    if len(data["v"]) != len(keys):
        raise _bad_cursor("it holds the wrong number of values")
    return [_value(key, value) for (key, _descending), value in zip(keys, data["v"], strict=True)]


def _value(key: SortKey, value: Any) -> Any:
    kind = _python_type(key)
    if value is None and key.nullable:
        return None
    if kind is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    elif kind is int and isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _limit(key):
        return value
    elif kind is str and isinstance(value, str):
        try:
            return clean_text(value, "cursor")
        except BadRequest as exc:
            raise _bad_cursor(exc.message.removeprefix("cursor ")) from exc
    raise _bad_cursor(f"its {key.attribute} value is not a {kind.__name__}")
