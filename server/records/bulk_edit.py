"""Bulk edit and delete of chosen records or of all records matching a filter (the grid, the API).

    {"ids": [4, 7], "versions": {"4": 2}, "set": {"status": "done"}, "add": {"tags": ["urgent"]},
     "remove": {"helpers": ["ann"]}}
    {"filter": "region == \"north\"", "q": "oak", "all": true, "set": {...}}      # every matching record
    {"ids": [4, 7], "delete": true}  /  {"filter": "...", "all": true, "delete": true}

``set`` gives a field one value (null clears it): plain fields, selects, users and groups (one or many),
relations (one: an id; many: a list of ids). ``add`` and ``remove`` change the lists of multi-selects,
users or groups (many) and relations to many, per record from its current value. Sub-tables,
attachments and computed fields are refused naming the field: they are edited on the record's page.

Chosen ids (at most 1,000, the rows of a page): all or nothing through the bulk path
(server/records/bulk.py), as one bulk call. All matching (``all``): the records the caller can read that
match the filter and search now, at most ``MAX_MATCHING``, taken by id in batches of ``BATCH``; each
batch goes through the same bulk path, and a record it refuses (its row scope or field permissions for
the action, a value its validator refuses, a version changed meanwhile) is left unchanged and reported
by id; the rest of its batch is applied. One transaction holds every batch: what the answer reports as
changed is exactly what was written, and an unexpected failure writes nothing. Each record changed or
deleted is one audit event, as for one write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BadRequest, Forbidden
from server.queries import id_value
from server.records import listing
from server.records.access import Access, access
from server.records.bulk import MAX_ROWS, BulkRefused, bulk
from server.records.many import MAX_LINKS, is_list

BATCH = 500
MAX_MATCHING = 50_000
SHOWN = 100  # refused records named in an answer
REFUSED_KINDS = {"sub_table": "a sub-table", "attachment": "an attachment", "formula": "a formula",
                 "rollup": "a rollup", "lookup": "a lookup", "auto_number": "an auto-number"}
KEYS = frozenset({"ids", "versions", "filter", "q", "all", "set", "add", "remove", "delete"})


@dataclass(frozen=True)
class Edit:
    set: Mapping[str, Any]
    add: Mapping[str, list[Any]]
    remove: Mapping[str, list[Any]]

    def fields(self) -> set[str]:
        return {*self.set, *self.add, *self.remove}

    def values(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The fields to write on one record, from its current values (JSON)."""
        found = dict(self.set)
        for key, items in self.add.items():
            found[key] = list(dict.fromkeys([*(current.get(key) or []), *items]))
        for key, items in self.remove.items():
            found[key] = [v for v in current.get(key) or [] if v not in items]
        return found


def _edit(a: Access, body: Mapping[str, Any]) -> Edit:
    fields = {f["key"]: f for f in a.definition["fields"]}
    parts: dict[str, dict[str, Any]] = {}
    for part in ("set", "add", "remove"):
        given = body.get(part, {})
        if not isinstance(given, Mapping):
            raise BadRequest(f"'{part}' must be an object of field keys", field=part)
        parts[part] = dict(given)
    seen: set[str] = set()
    for part, given in parts.items():
        for key, value in given.items():
            spec = fields.get(key)
            if spec is None or key not in a.readable():
                raise BadRequest(f"{a.row.key}: no field '{key}' to edit", field=key)
            if key not in a.fields(Action.UPDATE):  # no grant lets the caller change it on any record
                raise Forbidden(f"you may not change field '{key}' of {a.row.key} records", field=key)
            if spec["type"] in REFUSED_KINDS:
                raise BadRequest(f"{a.row.key} field '{key}' is {REFUSED_KINDS[spec['type']]}: it is not edited in "
                                 "bulk; open each record", field=key)
            if key in seen:
                raise BadRequest(f"{a.row.key} field '{key}' is given twice (set, add, remove: one of them)",
                                 field=key)
            seen.add(key)
            if part != "set" and not is_list(spec):
                raise BadRequest(f"{a.row.key} field '{key}' holds one value: '{part}' changes lists (multi-select, "
                                 "users, groups or relations to many); use 'set'", field=key)
            if isinstance(value, list) and len(value) > MAX_LINKS:  # more than any list field holds
                raise BadRequest(f"'{part}' of field '{key}' lists more than {MAX_LINKS} values", field=key)
            if part != "set" and (not isinstance(value, list) or not value or not all(
                    isinstance(v, str | int) and not isinstance(v, bool) for v in value)):
                raise BadRequest(f"'{part}' of field '{key}' must be a non-empty list of values (texts or "
                                 "record ids)", field=key)
    if not seen:
        raise BadRequest("choose a field to set, add to or remove from", field="set")
    return Edit(parts["set"], parts["add"], parts["remove"])


def _ids(body: Mapping[str, Any]) -> tuple[list[int], dict[int, int]]:
    raw = body.get("ids")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ROWS:
        raise BadRequest(f"'ids' must list 1 to {MAX_ROWS} record ids (or send \"all\": true with a filter)",
                         field="ids")
    ids = [n for n in (id_value(i) for i in raw) if n is not None]
    if len(ids) != len(raw) or len(set(ids)) != len(ids):
        raise BadRequest("'ids' must be distinct record ids", field="ids")
    versions = body.get("versions") or {}
    if not isinstance(versions, Mapping):
        raise BadRequest("'versions' maps record ids to the version shown", field="versions")
    given = {id_value(k): v for k, v in versions.items()}
    if None in given or not all(isinstance(v, int) and not isinstance(v, bool) for v in given.values()):
        raise BadRequest("'versions' maps record ids to version numbers", field="versions")
    return ids, {int(k): int(v) for k, v in given.items() if k is not None}


def _current(session: Session, a: Access, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The records (readable to the caller) as JSON, by id."""
    rows = session.execute(a.select().where(a.table.c.id.in_(list(ids)), a.scope(Action.READ)))
    return {r._mapping["id"]: a.record_json(r) for r in rows}


def _operations(session: Session, a: Access, edit: Edit | None, ids: Sequence[int],
                versions: Mapping[int, int]) -> list[dict[str, Any]]:
    """One bulk item per record: its merged fields (or nothing, to delete) and the version it is checked at.
    A record the caller cannot read keeps its id and no version: the bulk path refuses it as not found."""
    merging = edit is not None and bool(edit.add or edit.remove)
    current = _current(session, a, ids) if merging or not versions else {}
    items = []
    for record_id in ids:
        record = current.get(record_id)
        version = versions.get(record_id, record["version"] if record else None)
        item: dict[str, Any] = {"id": record_id, **({"version": version} if version is not None else {})}
        if edit is not None:
            item["fields"] = edit.values(record["fields"] if record else {})
        items.append(item)
    return items


def _apply(session: Session, who: Principal, type_key: str, op: str, items: list[dict[str, Any]]
           ) -> tuple[list[int], list[dict[str, Any]]]:
    """Run one batch through the bulk path, leaving out the records it refuses: (done ids, refused rows)."""
    refused: list[dict[str, Any]] = []
    pending = list(items)
    while True:  # each refusal names at most 100 rows: leave them out and retry while it names some
        try:
            with session.begin_nested():
                done = bulk(session, who, type_key, {op: pending})
            return list(done[f"{op}d"]), refused
        except BulkRefused as exc:
            rows = exc.details.get("rows", [])
            named = {r["index"] for r in rows if isinstance(r.get("index"), int)}
            if not named or any(not isinstance(r.get("index"), int) for r in rows):
                break
            refused += [{**_row(r), "id": pending[r["index"]]["id"]} for r in rows]
            pending = [item for index, item in enumerate(pending) if index not in named]
            if not pending:
                return [], refused
    done_ids: list[int] = []  # what the batch as a whole could not say: one by one
    for item in pending:
        try:
            with session.begin_nested():
                done_ids += bulk(session, who, type_key, {op: [item]})[f"{op}d"]
        except BulkRefused as exc:
            refused += [{**_row(r), "id": item["id"]} for r in exc.details.get("rows", [])[:1]]
    return done_ids, refused


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("index", "op")}


def _matching(session: Session, a: Access, body: Mapping[str, Any]) -> Any:
    statement = select(a.table.c.id).where(a.scope(Action.READ))
    columns = a.columns()
    filter_text, search = body.get("filter"), body.get("q")
    for name, given in (("filter", filter_text), ("q", search)):
        if given is not None and not isinstance(given, str):
            raise BadRequest(f"'{name}' must be text", field=name)
    if filter_text and filter_text.strip():
        statement = statement.where(listing.filter_clause(filter_text, columns))
    if search and search.strip():
        statement = statement.where(listing.search_clause(search, a.json_definition, columns))
    return statement


def edit_records(session: Session, who: Principal, type_key: str, body: Any) -> dict[str, Any]:
    """Edit (``set``/``add``/``remove``) or delete the chosen records, or all matching records."""
    if not isinstance(body, Mapping) or set(body) - KEYS:
        unknown = sorted(set(body) - KEYS) if isinstance(body, Mapping) else []
        raise BadRequest(f"unknown key(s) {', '.join(unknown) or '(send an object)'} (keys: {', '.join(sorted(KEYS))})",
                         field=unknown[0] if unknown else "ids")
    deleting = body.get("delete") is True
    if "delete" in body and not isinstance(body["delete"], bool):
        raise BadRequest("'delete' is true or false", field="delete")
    access(session, who, type_key, Action.BULK)  # the gate (404 to who may not see the type, else 403)
    a = access(session, who, type_key, Action.DELETE if deleting else Action.UPDATE)
    if deleting and ({"set", "add", "remove"} & set(body)):
        raise BadRequest("a delete takes no set, add or remove", field="delete")
    edit = None if deleting else _edit(a, body)
    op = "delete" if deleting else "update"
    if body.get("all") is not True:
        if "filter" in body or "q" in body:
            raise BadRequest("'filter' and 'q' choose the records with \"all\": true; else send 'ids'", field="all")
        ids, versions = _ids(body)
        try:
            done = bulk(session, who, type_key, {op: _operations(session, a, edit, ids, versions)})
        except BulkRefused as exc:
            rows = [{**_row(r), "id": ids[r["index"]]} if isinstance(r.get("index"), int) else _row(r)
                    for r in exc.details.get("rows", [])]
            raise BulkRefused(exc.message, rows=rows) from None
        return {"type": type_key, "matched": len(ids), "changed": len(done[f"{op}d"]), "ids": done[f"{op}d"],
                "refusedCount": 0, "refused": []}
    if "ids" in body or "versions" in body:
        raise BadRequest("\"all\": true edits every record matching 'filter' and 'q'; leave out 'ids'", field="ids")
    statement = _matching(session, a, body)
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    if total > MAX_MATCHING:
        raise BadRequest(f"{total} {type_key} records match; a bulk edit takes at most {MAX_MATCHING}: narrow the "
                         "filter", field="filter", matched=total)
    changed: list[int] = []
    refused: list[dict[str, Any]] = []
    last = 0
    while True:
        batch = list(session.execute(statement.where(a.table.c.id > last).order_by(a.table.c.id).limit(BATCH))
                     .scalars())
        if not batch:
            break
        last = batch[-1]
        done, refusals = _apply(session, who, type_key, op, _operations(session, a, edit, batch, {}))
        changed += done
        refused += refusals
    return {"type": type_key, "matched": total, "changed": len(changed), "ids": changed[:SHOWN],
            "refusedCount": len(refused), "refused": refused[:SHOWN]}
