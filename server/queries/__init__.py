"""The query layer: query arguments, sorting, paging (offset and keyset) — written once, used by every list.

    args = QueryArgs(request.args)                      # strict (API): a bad argument is a 400 naming it
    order = SORTING.order(args.text("sort"))            # from a whitelist, ended by a unique tie-breaker
    page = fetch_page(session, select(Row).where(...), order, page_request(args))
    return page.to_json(row_json)                       # items, page, pageSize, total, nextCursor

Pages (admin, staff) read the same arguments leniently (`QueryArgs(args, strict=False)`) and show
`args.problems` instead of failing. Domain filters (instances, tasks, audit) live with their services and
build their WHERE clauses from what these readers return.
"""

from server.queries.args import (
    ID,
    ID_MAX,
    INT64_MAX,
    QueryArgs,
    clean_text,
    day_end,
    day_start,
    id_value,
    parse_day,
    parse_int,
    parse_moment,
)
from server.queries.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageRequest,
    after,
    count,
    decode_cursor,
    encode_cursor,
    fetch_page,
    iterate,
    keyset_page,
    offset_page,
    page_request,
)
from server.queries.sorting import Order, Sorting, SortKey

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ID",
    "ID_MAX",
    "INT64_MAX",
    "MAX_PAGE_SIZE",
    "Order",
    "Page",
    "PageRequest",
    "QueryArgs",
    "SortKey",
    "Sorting",
    "after",
    "clean_text",
    "count",
    "day_end",
    "day_start",
    "decode_cursor",
    "encode_cursor",
    "fetch_page",
    "id_value",
    "iterate",
    "keyset_page",
    "offset_page",
    "page_request",
    "parse_day",
    "parse_int",
    "parse_moment",
]
