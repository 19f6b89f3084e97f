"""Bulk writes: up to 1,000 creates, updates and deletes of one type in one call, all or nothing.

    {"create": [{"fields": {...}}, ...], "update": [{"id": 7, "fields": {...}, "version": 2}, ...],
     "delete": [{"id": 9, "version": 1}, ...]}

Each row runs through the same path as a single write (validator, permissions, references, formulas,
auto-numbers, audit event: one per record) in a savepoint of its own, so every row is checked even after
one failed; if any did, the whole call is refused (422) with each failing row's index, operation and error,
and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BadRequest, BomsError, Unprocessable
from server.records import service
from server.records.access import access

MAX_ROWS = 1000
OPERATIONS = ("create", "update", "delete")


class BulkRefused(Unprocessable):
    code = "bulk_refused"


def _rows(body: Any) -> dict[str, list[Any]]:
    if not isinstance(body, Mapping) or not body or set(body) - set(OPERATIONS):
        raise BadRequest("send {\"create\": [...], \"update\": [...], \"delete\": [...]} (any of them)",
                         field=next(iter(sorted(set(body) - set(OPERATIONS))), "create")
                         if isinstance(body, Mapping) else "create")
    rows = {name: body.get(name, []) for name in OPERATIONS}
    for name, items in rows.items():
        if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
            raise BadRequest(f"'{name}' must be a list of objects", field=name)
    total = sum(len(items) for items in rows.values())
    if total == 0 or total > MAX_ROWS:
        raise BadRequest(f"a bulk call holds 1 to {MAX_ROWS} rows, not {total}", field="create")
    return rows


def bulk(session: Session, who: Principal, type_key: str, body: Any) -> dict[str, Any]:
    rows = _rows(body)
    result: dict[str, list[int]] = {name: [] for name in OPERATIONS}
    errors: list[dict[str, Any]] = []
    created: list[Event] = []  # published together: one audit event per record, one append to the chain
    accesses = {name: access(session, who, type_key, action) for name, action in (
        ("create", Action.CREATE), ("update", Action.UPDATE), ("delete", Action.DELETE)) if rows[name]}
    for name in OPERATIONS:
        for index, item in enumerate(rows[name]):
            try:
                with session.begin_nested():
                    if name == "create":
                        if set(item) != {"fields"}:
                            raise BadRequest("send {\"fields\": {...}}", field="fields")
                        record_id, _ = service.insert_one(session, accesses[name], item["fields"], created)
                    elif name == "update":
                        record_id = service.update_one(session, accesses[name], item.get("id"), item)
                    else:
                        if set(item) - {"id", "version"}:
                            raise BadRequest("send {\"id\": N, \"version\": N}", field="id")
                        record_id = item.get("id")
                        service.delete_one(session, accesses[name], record_id, item.get("version"))
                    result[name].append(int(record_id))
            except BomsError as exc:
                errors.append({"op": name, "index": index, "status": exc.status, **exc.to_dict()})
    if errors:
        raise BulkRefused(f"{len(errors)} of {sum(map(len, rows.values()))} rows were refused; nothing was "
                          "written", rows=errors[:100])
    if created:
        publish(session, created)
    return {"type": type_key, **{f"{name}d": ids for name, ids in result.items()}}
