"""Bulk writes: up to 1,000 creates, updates and deletes of one type in one call, all or nothing.

    {"create": [{"fields": {...}}, ...], "update": [{"id": 7, "fields": {...}, "version": 2}, ...],
     "delete": [{"id": 9, "version": 1}, ...]}

Creates and updates go through the batch path (server/records/batch.py: the checks of one write, done
for the batch, one executemany per statement, one append of the audit events — one per record); deletes,
which may cascade, run one by one through the single path, each in a savepoint. Every row is checked even
after one failed; if any did, the whole call is refused (422) with each failing row's index, operation and
error, and nothing is written. The call needs the ``bulk`` action beside each operation's own action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BadRequest, BomsError
from server.queries import id_value
from server.records import batch, service
from server.records.access import Access, access
from server.records.batch import BatchRefused as BulkRefused

MAX_ROWS = 1000
OPERATIONS = ("create", "update", "delete")


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


def _refused(name: str, exc: BulkRefused) -> list[dict[str, Any]]:
    return [{"op": name, **row} for row in exc.details.get("rows", [])]


def _one_by_one(session: Session, accesses: Mapping[str, Access], rows: Mapping[str, list[Any]],
                result: dict[str, list[int]], errors: list[dict[str, Any]]) -> None:
    """Creates and updates of a type with attachments or relations to many, each through the single path
    (it binds the files and writes the link rows) in a savepoint."""
    for name in ("create", "update"):
        for index, item in enumerate(rows[name]):
            try:
                with session.begin_nested():
                    if name == "create":
                        if set(item) - {"fields"}:
                            raise BadRequest("send {\"fields\": {...}}", field="fields")
                        result[name].append(service.insert_one(session, accesses[name], item.get("fields"))[0])
                    else:
                        result[name].append(service.update_one(session, accesses[name], item.get("id"), item))
            except BomsError as exc:
                errors.append({"op": name, "index": index, "status": exc.status, **exc.to_dict()})


def bulk(session: Session, who: Principal, type_key: str, body: Any) -> dict[str, Any]:
    access(session, who, type_key, Action.BULK)  # the gate (404 to who may not see the type, else 403)
    rows = _rows(body)
    result: dict[str, list[int]] = {name: [] for name in OPERATIONS}
    errors: list[dict[str, Any]] = []
    accesses = {name: access(session, who, type_key, action) for name, action in (
        ("create", Action.CREATE), ("update", Action.UPDATE), ("delete", Action.DELETE)) if rows[name]}
    if batch.single_path_only(accesses.get("create") or accesses.get("update") or accesses["delete"]):
        _one_by_one(session, accesses, rows, result, errors)
        rows = {**rows, "create": [], "update": []}
    creates, refused = batch.check_creates(accesses["create"], rows["create"]) if rows["create"] else ({}, [])
    errors += [{"op": "create", **e} for e in refused]
    updates, refused = batch.check_updates(session, accesses["update"], rows["update"]) if rows["update"] \
        else ({}, [])
    errors += [{"op": "update", **e} for e in refused]
    try:
        if creates and not errors:
            done = batch.insert_rows(session, batch.Target.of(accesses["create"]), creates)
            result["create"] = [done[i] for i in sorted(done)]
    except BulkRefused as exc:
        errors += _refused("create", exc)
    try:
        if updates and not errors:
            done = batch.update_rows(session, batch.Target.of(accesses["update"]), updates)
            result["update"] = [done[i] for i in sorted(done)]
    except BulkRefused as exc:
        errors += _refused("update", exc)
    updated = {c.old["id"] for c in updates.values()} | set(result["update"])
    for index, item in enumerate(rows["delete"]):
        try:
            with session.begin_nested():
                if set(item) - {"id", "version"}:
                    raise BadRequest("send {\"id\": N, \"version\": N}", field="id")
                if id_value(item.get("id")) in updated:
                    raise BadRequest(f"{type_key} record {item.get('id')} is both updated and deleted in this call",
                                     field="id")
                service.delete_one(session, accesses["delete"], item.get("id"), item.get("version"))
                result["delete"].append(int(item["id"]))
        except BomsError as exc:
            errors.append({"op": "delete", "index": index, "status": exc.status, **exc.to_dict()})
    if errors:
        raise BulkRefused(f"{len(errors)} of {sum(map(len, rows.values()))} rows were refused; nothing was "
                          "written", rows=errors[:100])
    return {"type": type_key, **{f"{name}d": ids for name, ids in result.items()}}
