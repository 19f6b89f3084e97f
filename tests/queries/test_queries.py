"""The query layer (server/queries): strict argument reading, whitelisted sorting, offset and keyset paging.

Keyset pages are checked against Python's own sort of the same rows, with ties and NULLs, on both databases;
then through the API: cursor walks over rows with equal sort values, and every bad argument a 400 naming it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, String, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from server.db import Database
from server.errors import BadRequest
from server.models import AuditEvent, HumanTask, ProcessInstance
from server.queries import (
    ID_MAX,
    INT64_MAX,
    PageRequest,
    QueryArgs,
    Sorting,
    decode_cursor,
    encode_cursor,
    fetch_page,
    iterate,
    keyset_page,
    offset_page,
    page_request,
    parse_int,
)


class _Base(DeclarativeBase):
    metadata = MetaData()


class Item(_Base):
    """A table of its own: sort values chosen to collide."""

    __tablename__ = "query_test_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(20))
    rank: Mapped[int]
    at: Mapped[datetime | None]


SORTING = Sorting({"name": Item.name, "rank": Item.rank, "at": Item.at, "id": Item.id}, Item.id, default="rank")


def bad(args: dict[str, str], read: Any) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        read(QueryArgs(MultiDict(args)))
    return caught.value


# --- arguments --------------------------------------------------------------------------------------------


def test_parse_int_takes_ascii_digits_within_64_bits() -> None:
    assert parse_int("42") == 42 and parse_int(" 7 ") == 7 and parse_int(str(INT64_MAX)) == INT64_MAX
    for text in ("", "x", "4.0", "²", "١٢", "0", "-3", str(INT64_MAX + 1), "9" * 30, "1e3", "0x10"):
        assert parse_int(text) is None, text
    assert parse_int("0", minimum=0) == 0 and parse_int("-3", minimum=-5) == -3


@pytest.mark.parametrize(("args", "field"), [
    ({"page": "x"}, "page"), ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": ""}, "page"),
    ({"page": "99999999999999999999"}, "page"), ({"page": "²"}, "page"),
    ({"pageSize": "0"}, "pageSize"), ({"pageSize": "501"}, "pageSize"), ({"pageSize": "many"}, "pageSize"),
    ({"pageSize": str(2**64)}, "pageSize"), ({"cursor": "abc", "page": "2"}, "cursor"),
])
def test_paging_arguments_are_strict(args: dict[str, str], field: str) -> None:
    error = bad(args, page_request)
    assert error.status == 400 and error.details["field"] == field and error.message.startswith(field)


def test_paging_defaults_and_limits() -> None:
    assert page_request(QueryArgs(MultiDict())) == PageRequest(1, 50, None)
    assert page_request(QueryArgs(MultiDict({"page": "3", "pageSize": "500"}))) == PageRequest(3, 500, None)
    assert page_request(QueryArgs(MultiDict({"cursor": "abc", "pageSize": "2"}))) == PageRequest(1, 2, "abc")


def test_filter_values_are_strict() -> None:
    assert bad({"after": ""}, lambda a: a.moment("after")).details["field"] == "after"
    assert bad({"after": "yesterday"}, lambda a: a.moment("after")).details["field"] == "after"
    assert bad({"after": "0001-01-01T00:00:00+01:00"}, lambda a: a.moment("after")).details["field"] == "after"
    assert "NUL" in bad({"key": "a\x00b"}, lambda a: a.text("key")).message
    assert bad({"status": "sleeping"}, lambda a: a.choice("status", ("open",))).message == \
        "status must be one of open"
    args = QueryArgs(MultiDict({"after": "2026-12-31T17:00:00Z", "on": "2026-12-31", "status": ""}))
    assert args.moment("after") == datetime(2026, 12, 31, 17)
    assert args.moment("missing") is None and args.day("on").isoformat() == "2026-12-31"
    assert args.choice("status", ("open",), "open") == ""  # given empty: "no filter", as GET /tasks?status= is


def test_lenient_arguments_collect_problems_and_read_as_absent() -> None:
    args = QueryArgs(MultiDict({"page": "x", "since": "soon", "key": " k ", "box": "", "q": "\x00"}), strict=False)
    assert args.integer("page", 1) == 1 and args.day("since", "since") is None
    assert args.text("key") == "k" and args.text("box") is None and args.text("q") is None
    assert args.day("box") is None  # an empty date box is no filter on a page
    assert [p.details["field"] for p in args.problems] == ["page", "since", "q"]
    assert args.problems[1].message == "since must be a date (YYYY-MM-DD)"


def test_sorting_is_a_whitelist() -> None:
    assert SORTING.names() == ["name", "-name", "rank", "-rank", "at", "-at", "id", "-id"]
    order = SORTING.order("-at")
    assert (order.name, order.descending, order.token) == ("at", True, "-at")
    assert SORTING.order(None).token == "rank" and SORTING.order("at", descending=True).token == "-at"
    with pytest.raises(BadRequest) as caught:
        SORTING.order("password")
    assert caught.value.details["field"] == "sort" and "-rank" in caught.value.message
    # The tie-breaker is not repeated when it is the sort key itself.
    assert len(SORTING.order("id").sort_keys()) == 1 and len(SORTING.order("at").sort_keys()) == 2
    assert SORTING.keys["name"].nullable and not SORTING.keys["rank"].nullable


def test_cursors_are_checked() -> None:
    order = SORTING.order("-at")
    token = encode_cursor(order, Item(id=5, at=datetime(2026, 1, 2, 3, 4, 5, 6)))
    assert decode_cursor(order, token) == [datetime(2026, 1, 2, 3, 4, 5, 6), 5]
    assert decode_cursor(order, encode_cursor(order, Item(id=6, at=None))) == [None, 6]
    forged = [
        "not base64!", "e30", token + "x", "A" * 5000,  # junk, {}, broken, too long
        encode_cursor(SORTING.order("at"), Item(id=5, at=datetime(2026, 1, 1))),  # another sort
        encode_cursor(SORTING.order("id"), Item(id=5)),
    ]
    for value in forged:
        with pytest.raises(BadRequest) as caught:
            decode_cursor(order, value)
        assert caught.value.details["field"] == "cursor", value
    rank = SORTING.order("rank")
    for values in ([None, 1], ["1", 1], [True, 1], [2**64, 1], [ID_MAX + 1, 1], [1, "x"]):
        import base64
        import json

        text = json.dumps({"o": "rank", "v": values})
        with pytest.raises(BadRequest, match="cursor"):
            decode_cursor(rank, base64.urlsafe_b64encode(text.encode()).decode())
    with pytest.raises(BadRequest, match="NUL"):
        decode_cursor(SORTING.order("name"), encode_cursor(SORTING.order("name"), Item(id=1, name="a\x00")))


# --- pages against Python's sort, on both databases ----------------------------------------------------


def _python_order(rows: list[Item], name: str, descending: bool) -> list[int]:
    def key(row: Item) -> tuple[Any, ...]:
        value = getattr(row, name)
        # NULLs last in both directions; ties by id ascending.
        if value is None:
            return (1, 0, row.id)
        rank = value if not descending else (-value if isinstance(value, int) else value)
        return (0, rank, row.id)

    if descending and name in ("name", "at"):  # not negatable: sort the non-NULL ones in reverse
        present = sorted((r for r in rows if getattr(r, name) is not None), key=lambda r: r.id)
        present.sort(key=lambda r: getattr(r, name), reverse=True)
        missing = sorted((r for r in rows if getattr(r, name) is None), key=lambda r: r.id)
        return [r.id for r in present + missing]
    return [r.id for r in sorted(rows, key=key)]


@pytest.fixture
def items(database_url: str) -> Any:
    database = Database(database_url)
    _Base.metadata.create_all(database.engine)
    generator = random.Random(7)
    base = datetime(2026, 3, 1, 12)
    rows = [Item(id=i, name=generator.choice(["a", "b", "b", None]), rank=generator.randint(1, 4),
                 at=generator.choice([base, base, base + timedelta(microseconds=1), None])) for i in range(1, 41)]
    generator.shuffle(rows)  # insertion order must not matter
    with database.write() as session:
        session.add_all(rows)
    with database.read() as session:
        yield database, list(session.scalars(select(Item)))
    database.dispose()


@pytest.mark.parametrize("sort", ["rank", "-rank", "name", "-name", "at", "-at", "id", "-id"])
def test_keyset_and_offset_pages_follow_the_same_total_order(items: Any, sort: str) -> None:
    database, rows = items
    order = SORTING.order(sort)
    expected = _python_order(rows, order.name, order.descending)
    with database.read() as session:
        statement = select(Item)
        for size in (1, 3, 7, 40, 41):
            walked, cursor, pages = [], None, 0
            while True:
                page = keyset_page(session, statement, order, size, cursor)
                walked += [row.id for row in page.items]
                pages += 1
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert walked == expected, (sort, size)
            assert pages == -(-len(expected) // size)
            numbered = [row.id for n in range(1, pages + 1)
                        for row in offset_page(session, statement, order.clauses(), n, size).items]
            assert numbered == expected, (sort, size)
        assert [row.id for row in iterate(session, statement, order, batch=6)] == expected
        # A numbered page hands out the cursor of the page after it; the walk continues from there.
        first = fetch_page(session, statement, order, PageRequest(1, 10))
        assert first.total == 40 and first.has_more
        second = fetch_page(session, statement, order, PageRequest(size=10, cursor=first.next_cursor))
        assert [r.id for r in first.items + second.items] == expected[:20] and second.total is None


def test_offset_pages_past_the_end_and_clamped(items: Any) -> None:
    database, rows = items
    order = SORTING.order("rank")
    with database.read() as session:
        assert offset_page(session, select(Item), order.clauses(), INT64_MAX, 500).items == []
        assert offset_page(session, select(Item), order.clauses(), INT64_MAX, 500, counted=False).items == []
        last = offset_page(session, select(Item), order.clauses(), 99, 15, clamp=True)
        assert (last.page, last.pages, len(last.items), last.total) == (3, 3, 10, 40)
        uncounted = offset_page(session, select(Item), order.clauses(), 2, 20, counted=False)
        assert uncounted.total is None and not uncounted.has_more and len(uncounted.items) == 20


# --- through the API ---------------------------------------------------------------------------------------


def _walk(api: Any, who: str, url: str, **params: Any) -> list[dict[str, Any]]:
    found, cursor = [], None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get(who, url, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert ("total" in body) is (cursor is None)
        found += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor walk does not end")


def test_api_cursor_walks_over_ties(api: Any) -> None:
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.user("sam", groups=("employees",))
    ids = [api.start("sam", "two_tasks", businessKey=f"K-{i}")["id"] for i in range(7)]
    moment = datetime(2026, 5, 1, 9)
    with api.app.extensions["boms_db"].write() as session:
        # Three share one start time, two another: only the id tells them apart.
        for index, instance_id in enumerate(ids):
            at = moment if index < 3 else moment + timedelta(seconds=1) if index < 5 else moment + timedelta(seconds=2)
            session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(started_at=at))
        tasks = list(session.scalars(select(HumanTask.id).order_by(HumanTask.id)))
        for index, task_id in enumerate(tasks):
            session.execute(update(HumanTask).where(HumanTask.id == task_id).values(
                due_at=None if index % 3 == 0 else moment + timedelta(days=index % 2), created_at=moment))

    everything = api.get("admin", "/api/v1/process-instances", query_string={"pageSize": 500}).get_json()["items"]
    assert len(everything) == 7 and [i["startedAt"] for i in everything] == sorted(
        (i["startedAt"] for i in everything), reverse=True)
    for size in (1, 2, 3):
        assert _walk(api, "admin", "/api/v1/process-instances", pageSize=size) == everything

    for sort in ("due", "-due", "created", "-created"):
        whole = api.get("admin", "/api/v1/tasks", query_string={"sort": sort, "pageSize": 500}).get_json()["items"]
        assert len(whole) == 7
        assert _walk(api, "admin", "/api/v1/tasks", sort=sort, pageSize=2) == whole, sort
        if "due" in sort:  # no due date: last, whichever direction
            assert [t["dueAt"] for t in whole][-3:] == [None, None, None]
    # order=desc is the same order as the sign, cursors included.
    assert _walk(api, "admin", "/api/v1/tasks", sort="due", order="desc", pageSize=3) == \
        _walk(api, "admin", "/api/v1/tasks", sort="-due", pageSize=3)

    log = api.get("auditor", "/api/v1/audit", query_string={"pageSize": 500}).get_json()
    assert _walk(api, "auditor", "/api/v1/audit", pageSize=4) == log["items"] and log["nextCursor"] is None
    first = api.get("auditor", "/api/v1/audit", query_string={"pageSize": 4}).get_json()
    with api.app.extensions["boms_db"].read() as session:
        assert first["total"] == session.query(AuditEvent).count()
    # A cursor of one sort does not continue another.
    cursor = api.get("admin", "/api/v1/tasks", query_string={"sort": "due", "pageSize": 2}).get_json()["nextCursor"]
    response = api.get("admin", "/api/v1/tasks", query_string={"sort": "-due", "cursor": cursor})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "cursor"


def test_api_audit_kind_prefix_means_what_it_means_in_the_admin(api: Any) -> None:
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.user("sam", groups=("employees",))
    api.start("sam", "two_tasks")

    def kinds(kind: str) -> set[str]:
        body = api.get("auditor", "/api/v1/audit", query_string={"kind": kind, "pageSize": 500}).get_json()
        return {e["kind"] for e in body["items"]}

    assert kinds("task.") == {"task.created"} and kinds("instance.") == {"instance.started"}
    assert kinds("task.created") == {"task.created"} and kinds("task") == set()  # exact without the dot
    assert kinds("%.") == set()  # LIKE wildcards are literal


BAD_REQUESTS = [
    ("/api/v1/process-instances", {"page": "0"}, "page"),
    ("/api/v1/process-instances", {"page": "2.5"}, "page"),
    ("/api/v1/process-instances", {"page": str(2**64)}, "page"),
    ("/api/v1/process-instances", {"pageSize": "501"}, "pageSize"),
    ("/api/v1/process-instances", {"pageSize": "0"}, "pageSize"),
    ("/api/v1/process-instances", {"startedAfter": ""}, "startedAfter"),
    ("/api/v1/process-instances", {"startedBefore": "tomorrow"}, "startedBefore"),
    ("/api/v1/process-instances", {"key": "two\x00tasks"}, "key"),
    ("/api/v1/process-instances", {"businessKey": "\x00"}, "businessKey"),
    ("/api/v1/process-instances", {"cursor": "bogus"}, "cursor"),
    ("/api/v1/tasks", {"sort": "password"}, "sort"),
    ("/api/v1/tasks", {"sort": "-"}, "sort"),
    ("/api/v1/tasks", {"order": "sideways"}, "order"),
    ("/api/v1/tasks", {"processKey": "a\x00"}, "processKey"),
    ("/api/v1/tasks", {"candidateGroup": "a\x00"}, "candidateGroup"),
    ("/api/v1/tasks", {"page": "1", "cursor": "x"}, "cursor"),
    ("/api/v1/audit", {"after": ""}, "after"),
    ("/api/v1/audit", {"before": "x"}, "before"),
    ("/api/v1/audit", {"kind": "task.\x00"}, "kind"),
    ("/api/v1/audit", {"actor": "x" * 1001}, "actor"),
    ("/api/v1/process-definitions/two_tasks", {"version": str(2**64)}, "version"),
    ("/api/v1/process-definitions/two_tasks", {"version": str(ID_MAX + 1)}, "version"),
    ("/api/v1/process-definitions/two_tasks", {"version": "²"}, "version"),
    ("/api/v1/process-definitions/two_tasks/xml", {"version": "-1"}, "version"),
]


def test_bad_query_arguments_are_400_naming_them(api: Any) -> None:
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    api.start("admin", "two_tasks")
    for url, params, field in BAD_REQUESTS:
        response = api.get("admin" if "audit" not in url else "auditor", url, query_string=params)
        assert response.status_code == 400, (url, params, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and error["field"] == field, (url, params, error)
        assert field in error["message"], error
    # Path values and JSON bodies: PostgreSQL stores no NUL character, so none reaches it.
    for url, field in (("/api/v1/tasks/a%00b", "task_id"), ("/api/v1/process-instances/a%00b/history", "instance_id"),
                       ("/api/v1/process-definitions/a%00b", "key"), ("/api/v1/process-definitions?key=%00", "key")):
        response = api.get("admin", url)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field, url
    for body in ({"name": "a\x00b"}, {"name": "m", "correlationKeys": {"k": ["x\x00"]}}):
        # A body's content is a 422 naming the field (server/forms/limits.py, the hostile-input corpus).
        response = api.post("admin", "/api/v1/messages", json=body)
        assert response.status_code == 422 and response.get_json()["error"]["field"], body
    response = api.post("admin", "/api/v1/process-definitions/two_tasks/start", json={"variables": {"a\x00": 1}})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "variables"
    # In range but past the end: an empty page, not an error.
    far = api.get("admin", "/api/v1/process-instances", query_string={"page": str(INT64_MAX)}).get_json()
    assert far["items"] == [] and far["total"] == 1 and far["nextCursor"] is None
    # A version number no row has is a 404 within the INTEGER columns' range (32 bits on PostgreSQL), a 400 beyond.
    assert api.get("admin", "/api/v1/process-definitions/two_tasks",
                   query_string={"version": str(ID_MAX)}).status_code == 404
    instance_id = api.get("admin", "/api/v1/process-instances").get_json()["items"][0]["id"]
    for value, status in ((2**64, 400), (INT64_MAX, 400), (ID_MAX, 404), ("12", 404), (True, 400), (1.5, 400)):
        response = api.post("admin", f"/api/v1/process-instances/{instance_id}/migrate", json={"versionId": value})
        assert response.status_code == status, (value, response.get_json())
        if status == 400:
            assert response.get_json()["error"]["field"] == "versionId"


def test_pages_name_bad_arguments_and_route_ids_beyond_64_bits_are_404(api: Any, browser: Any) -> None:
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    web = browser("admin")
    huge = str(2**64)
    for url in (f"/admin/models/version/{huge}", f"/admin/models/version/{huge}/xml",
                f"/admin/models/decision/{huge}", f"/admin/users/{huge}"):
        assert web.get(url).status_code == 404, url
    assert web.get(f"/admin/models/version/{INT64_MAX}").status_code == 404
    assert web.get(f"/admin/models/version/{ID_MAX}").status_code == 404
    for url in ("/admin/instances/", "/admin/audit/", "/admin/tasks/"):
        assert web.get(url, query_string={"page": huge}).status_code == 200, url
        # NUL cannot be stored or compared on PostgreSQL: server/request_guard.py refuses it on every request.
        assert web.get(url, query_string={"key": "a\x00", "kind": "\x00", "process": "\x00"}).status_code == 400
    assert "page must be a number" in web.get("/admin/tasks/", query_string={"page": "²"}).get_data(as_text=True)
    assert web.get("/admin/instances/", query_string={"started_to": "9999-12-31"}).status_code == 200
    assert web.get("/admin/audit/", query_string={"until": "9999-12-31"}).status_code == 200
    assert web.get("/notifications", query_string={"page": "²"}).status_code == 200
    assert web.get("/notifications", query_string={"page": huge}).status_code == 200
    assert web.get("/instances/a%00b").status_code == 400
    assert web.get("/admin/instances/a%00b").status_code == 400
    nul = {"q": "\x00", "process": "\x00", "var": "x", "value": "\x00"}
    assert web.get("/inbox", query_string=nul).status_code == 400
    assert web.get("/inbox", query_string={"q": "x", "page": huge}).status_code == 200
