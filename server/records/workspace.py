"""What the staff pages show of a record type, each page's data in one permission-checked call.

The pages need more than the API's JSON of one call: the fields the reader may see and write (a hidden
field is not in them, so a template cannot draw it), which buttons to show (an action the reader may
not take is not offered, and its endpoint refuses anyway), the list with its saved views, the record
with its history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.errors import BomsError, Forbidden, FormInvalid
from server.queries import PageRequest
from server.records import files, related, service, types, views
from server.records.definition import json_schema
from server.records.process_links import LinkedInstance, bound_processes, linked_instances
from server.records.service import Access


@dataclass(frozen=True)
class TypeView:
    key: str
    name: dict[str, str]
    version: int
    fields: list[dict[str, Any]]  # the readable fields' definitions, in the designer's order
    creatable: frozenset[str]
    updatable: frozenset[str]
    may_create: bool
    may_update: bool
    may_delete: bool
    #: user or group field of several -> the people or groups its input offers (forms only; empty elsewhere)
    choices: dict[str, list[related.Linked]] = dataclass_field(default_factory=dict)
    may_bulk: bool = False  # the grid's bulk edit and delete (each row still needs update or delete)
    may_export: bool = False  # the grid's "export this list" (its filter, with $me the exporter, and sort)
    #: relation field -> the records it holds, named (forms: the picker shows them by their label)
    labels: dict[str, list[related.Linked]] = dataclass_field(default_factory=dict)

    def field(self, key: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["key"] == key), None)

    def schema(self, action: Action) -> dict[str, Any]:
        """The JSON Schema of the form for ``action``: the fields the reader may both see and write."""
        writable = self.creatable if action is Action.CREATE else self.updatable
        # On an edit the fields one may read but not change are shown read-only (the form never sends them).
        keys = [f["key"] for f in self.fields if f["key"] in writable or action is Action.UPDATE]
        schema = json_schema({"name": self.name, "fields": self.fields}, keys)
        for key in keys:
            if key not in writable:
                schema["properties"][key]["readOnly"] = True
            prop = schema["properties"][key]
            if "x-ref" in prop and prop["x-ref"].startswith("record:"):
                # a relation: searched as one types (server/static/record_picker.js; never a list of every
                # record, which a million rows cannot be), its records shown by their label
                prop["x-picker"] = {"type": self.key, "field": key}
                prop["x-labels"] = {str(c.id): c.label for c in self.labels.get(key, ())}
            elif key in self.choices:  # users or groups of several: a list of the ones one may pick
                offered = {"enum": [c.id for c in self.choices[key]],
                           "x-enumNames": [c.label for c in self.choices[key]]}
                if prop.get("type") == "array":
                    prop["items"] = {**prop["items"], **offered}
                else:
                    prop.update(offered)
        schema["required"] = [k for k in schema["required"] if k in writable]
        return schema


def _choices(session: Session, a: Access, current: dict[str, list[related.Linked]]) -> dict[str, list[related.Linked]]:
    """The users or groups a writable field of several offers, with those the record holds now (never
    dropped). Relations offer no list: their picker searches (``related.search``)."""
    writable = (a.fields(Action.CREATE) | a.fields(Action.UPDATE)) & a.readable()
    offered = {}
    for f in a.definition["fields"]:
        if f["type"] in ("user", "group") and f.get("multiple") and f["key"] in writable:
            merged = {c.id: c for c in [*related.principals(session, f["type"]), *current.get(f["key"], [])]}
            offered[f["key"]] = [merged[i] for i in sorted(merged)]
    return offered


def _type_view(a: Access, choices: dict[str, list[related.Linked]] | None = None,
               labels: dict[str, list[related.Linked]] | None = None) -> TypeView:
    readable = a.readable()
    definition = a.definition
    return TypeView(a.row.key, definition["name"], a.row.version,
                    [f for f in definition["fields"] if f["key"] in readable],
                    a.fields(Action.CREATE) & readable, a.fields(Action.UPDATE) & readable,
                    a.policy.allows(a.who, Action.CREATE), a.policy.allows(a.who, Action.UPDATE),
                    a.policy.allows(a.who, Action.DELETE), choices or {}, a.policy.allows(a.who, Action.BULK),
                    a.policy.allows(a.who, Action.EXPORT), labels or {})


def held(session: Session, a: Access, values: Mapping[str, Any] | None) -> dict[str, list[related.Linked]]:
    """The records the relation fields of ``values`` name, labelled as the reader may see them (a record
    number typed that is none, or names a record the reader may not see, gets no label)."""
    ids = {}
    for f in a.definition["fields"]:
        value = (values or {}).get(f["key"]) if f["type"] == "relation" and f["key"] in a.readable() else None
        numbers = [v for v in (value if isinstance(value, list) else [value])
                   if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31]
        if numbers:
            ids[f["key"]] = numbers
    return related.outgoing(session, a.who, a.definition, ids)


def with_labels(session: Session, who: Principal, kind: TypeView, values: Mapping[str, Any]) -> TypeView:
    """``kind`` for a form that came back: the records its relation inputs were given, labelled too."""
    a = service.access(session, who, kind.key, Action.READ)
    return replace(kind, labels={**kind.labels, **held(session, a, values)})


def type_view(session: Session, who: Principal, type_key: str, for_form: bool = False,
              values: Mapping[str, Any] | None = None) -> TypeView:
    """A type for its pages; for a form, with what its inputs offer and the labels of the records the
    relation fields of ``values`` (a form that came back, a task's record) hold."""
    a = service.access(session, who, type_key, Action.READ)
    return _type_view(a, _choices(session, a, {}) if for_form else None, held(session, a, values))


def readable_types(session: Session, who: Principal) -> list[dict[str, Any]]:
    """The record types ``who`` may list records of (a designer sees every type in the designer instead)."""
    result = []
    for item in types.list_types(session, who):
        policy = types.policy_of(types.require_type(session, item["key"]))
        if policy.allows(who, Action.READ):
            result.append({**item, "may_create": policy.allows(who, Action.CREATE)})
    return result


@dataclass(frozen=True)
class ListScreen:
    type: TypeView
    page: dict[str, Any]
    views: list[views.SavedView]


def list_screen(session: Session, who: Principal, type_key: str, filter_text: str | None, sort: str | None,
                request: PageRequest) -> ListScreen:
    kind = type_view(session, who, type_key)
    page = service.list_records(session, who, type_key, filter_text, sort, request)
    return ListScreen(kind, page, views.list_views(session, who, type_key))


@dataclass(frozen=True)
class RecordScreen:
    type: TypeView
    record: dict[str, Any]
    history: list[dict[str, Any]]
    may_update: bool
    may_delete: bool
    outgoing: dict[str, list[related.Linked]]  # relation field -> the records it points to
    incoming: list[related.Incoming]  # the records pointing here, per type and field
    instances: list[LinkedInstance] = dataclass_field(default_factory=list)  # the process instances working on it
    startable: list[Any] = dataclass_field(default_factory=list)  # the processes bound to the type ``who`` may start


def _may(session: Session, a: Access, action: Action, record_id: int) -> bool:
    """Whether the reader may take ``action`` on this record: some grant of it covers the record's row."""
    if not a.policy.allows(a.who, action):
        return False
    row = session.execute(select(a.table).where(a.table.c.id == record_id)).first()
    if row is None:
        return False
    try:
        a.policy.require(a.who, action, record=dict(row._mapping))
    except Forbidden:
        return False
    return True


def record_screen(session: Session, who: Principal, type_key: str, record_id: Any,
                  for_form: bool = False) -> RecordScreen:
    """A record, its history and whether ``who`` may edit or delete this one (row scopes included)."""
    a = service.access(session, who, type_key, Action.READ)
    record = service.get(session, who, type_key, record_id)
    history = service.history(session, who, type_key, record["id"])["items"]
    outgoing = related.outgoing(session, who, a.definition, record["fields"])
    may_update = _may(session, a, Action.UPDATE, record["id"])
    people = {f["key"]: [related.Linked(v, v) for v in record["fields"].get(f["key"]) or ()]
              for f in a.definition["fields"] if f["type"] in ("user", "group") and f.get("multiple")}
    return RecordScreen(_type_view(a, _choices(session, a, people) if for_form and may_update else None, outgoing),
                        record,
                        history, may_update, _may(session, a, Action.DELETE, record["id"]), outgoing,
                        related.incoming(session, who, type_key, record["id"]),
                        linked_instances(session, who, type_key, record["id"]), bound_processes(session, who, type_key))


def save_form(session: Session, who: Principal, type_key: str, record_id: int | None, values: dict[str, Any],
              version: int | None, uploads: Mapping[str, list[files.Incoming]], root: Path,
              limit: int) -> dict[str, Any]:
    """A record form's submission: its new files stored for their attachment fields (after the files it
    kept), then the record created (``record_id`` None) or updated, in the caller's one transaction. A file
    refused for its size or kind comes back as that field's message, like any other value."""
    values = dict(values)  # a refused form comes back with what was typed, not with these uploads
    for key, incoming in uploads.items():
        refs = []
        for item in incoming:
            try:
                refs.append(files.upload(session, who, root, type_key, key, item, limit))
            except BomsError as exc:
                if key in exc.details.get("fields", {}):
                    raise FormInvalid(exc.details["fields"]) from None
                raise
        values[key] = [*(values.get(key) or []), *refs]
    if record_id is None:
        return service.create(session, who, type_key, values)
    return service.update_record(session, who, type_key, record_id, {"fields": values, "version": version})
