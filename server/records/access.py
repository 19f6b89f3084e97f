"""What one person may do with one record type, and how their queries read it.

``access`` checks the action once; the ``Access`` it returns knows the readable and writable fields, the
columns a filter or sort may name (readable fields, system columns, lookups and rollups, and paths through
relations such as ``customer.region``), the row scope, and how a row becomes JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action, RecordPolicy
from server.errors import Forbidden, NotFound
from server.models import RecordType
from server.records import me, money
from server.records.fields import KINDS
from server.records.links import ReadThrough, read_through
from server.records.many import is_list, list_column
from server.records.storage import stored_fields, table_of
from server.records.types import policy_of, require_type
from server.records.values import to_json

SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by")


@dataclass
class Access:
    row: RecordType
    policy: RecordPolicy
    table: Table
    who: Principal
    session: Session

    @property
    def definition(self) -> dict[str, Any]:
        return self.row.definition

    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.definition["fields"]]

    def stored_keys(self) -> list[str]:
        return [f["key"] for f in stored_fields(self.definition)]

    def fields(self, action: Action) -> frozenset[str]:
        return self.policy.fields_for(self.who, action, self.field_keys())

    def covers(self, action: Action, record: Mapping[str, Any]) -> bool:
        """Whether some scope that allows ``action`` takes in these values (a record, or one about to be)."""
        try:
            self.policy.require(self.who, action, record=record)
        except Forbidden:
            return False
        return True

    @cached_property
    def through(self) -> ReadThrough:
        readable = self.policy.fields_for(self.who, Action.READ, self.field_keys())
        return read_through(self.session, self.who, self.definition, self.table, readable)

    def readable(self) -> frozenset[str]:
        """Readable fields; a lookup or rollup only when its other type lets the caller read it too."""
        return self._readable

    @cached_property
    def _readable(self) -> frozenset[str]:  # once per Access: a list page asks for every row it shows
        stored = set(self.stored_keys())
        return frozenset(k for k in self.fields(Action.READ) if k in stored or k in self.through.computed)

    @cached_property
    def json_definition(self) -> dict[str, Any]:
        """The definition with each lookup and rollup standing for the field its value converts by."""
        shown = {k: f for k, (_, f) in self.through.computed.items()}
        return {**self.definition, "fields": [shown.get(f["key"], f) for f in self.definition["fields"]]}

    def columns(self) -> dict[str, Any]:
        """The columns a filter or sort may name, with ``$me`` and its attributes (server/records/me.py; for a
        rule's action, the person who ran the rule) for filters."""
        fields = {f["key"]: f for f in self.json_definition["fields"]}
        readable = self.readable()
        visible: dict[str, Any] = {}
        for key in readable:
            if is_list(fields[key]):
                visible[key] = list_column(self.row.key, fields[key], self.table)
            elif key in self.through.computed:
                visible[key] = self.through.computed[key][0]
            elif money.per_record(fields[key]):  # never the bare amount: see server/records/money.py
                visible.update(money.filter_columns(fields[key], self.table.c[key],
                                                    self.table.c[money.currency_column(key)]))
            elif KINDS[fields[key]["type"]].can_filter:
                visible[key] = self.table.c[key]
        return {**visible, **self.through.paths, **{name: self.table.c[name] for name in SYSTEM_COLUMNS},
                **me.columns(self.who)}

    def select(self, *extra: Any) -> Select[Any]:
        return select(self.table, *(expression for expression, _ in self.through.computed.values()), *extra)

    def scope(self, action: Action) -> Any:
        return self.policy.row_filter(self.who, action, self.table.c)

    def record_json(self, row: Any, only: frozenset[str] | None = None) -> dict[str, Any]:
        m = row._mapping
        visible = self.readable() if only is None else self.readable() & only
        return {"id": m["id"], "type": self.row.key, "version": m["version"],
                "fields": to_json(self.json_definition, m, visible),
                "createdAt": m["created_at"].isoformat() + "Z", "createdBy": m["created_by"],
                "updatedAt": m["updated_at"].isoformat() + "Z", "updatedBy": m["updated_by"]}


def access(session: Session, who: Principal, type_key: str, action: Action) -> Access:
    row = require_type(session, type_key)
    policy = policy_of(row)
    if not policy.allows(who, Action.READ) and not policy.allows(who, action):
        raise NotFound(f"no record type '{type_key}'")
    policy.require(who, action)
    return Access(row, policy, table_of(row.definition), who, session)
