"""What a user may do with the records of one record type: actions, fields, and rows.

A record type carries a list of grants (its ``permissions``, JSON). Each grant says who (roles, groups,
users), which actions, which fields (all if not named) and which rows (all if no scope). What no grant
allows is refused. Admins may do everything; auditors may read and export everything.

Rows are limited by a scope that is a SQLAlchemy WHERE clause over the record type's columns, so a list,
an export or a dashboard filters in the database, and the same scope checks one record in Python. Scopes
are registered by kind (``@scope("own")``); the records engine adds an expression scope (the shared
expression package's JEXL-to-WHERE compiler) by registering one more.

    policy = RecordPolicy.from_config("order", [
        {"roles": ["staff"], "actions": ["read", "create"], "rows": {"kind": "own", "field": "created_by"}},
        {"groups": ["finance"], "actions": ["read", "update", "export"], "fields": ["amount", "status"]},
    ])
    policy.require(who, Action.UPDATE, fields={"amount"})
    query = select(table).where(policy.row_filter(who, Action.READ, table.c))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, false, or_, true

from server.auth.permissions.roles import Principal
from server.errors import BadRequest, Forbidden

Columns = Mapping[str, Any]  # a table's ``.c``, or any mapping of field name -> column


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    EXPORT = "export"
    #: the bulk call (and the grid's bulk edit and delete): a gate; each row still needs the grants of its
    #: own create, update or delete (their fields and rows)
    BULK = "bulk"


READING = frozenset({Action.READ, Action.EXPORT})


class RowScope:
    """Which rows of a record type a grant covers: as a WHERE clause, and for one record in Python."""

    kind: ClassVar[str] = ""

    def clause(self, who: Principal, columns: Columns) -> ColumnElement[bool]:
        raise NotImplementedError

    def matches(self, who: Principal, record: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """The fields the scope reads (checked against the record type when the rules are saved)."""
        return frozenset()


_SCOPES: dict[str, Callable[[Mapping[str, Any]], RowScope]] = {}


def scope(kind: str) -> Callable[[type[RowScope]], type[RowScope]]:
    """Class decorator: a scope kind, built from its config by ``cls.from_config(config)``."""

    def register(cls: type[RowScope]) -> type[RowScope]:
        if kind in _SCOPES:
            raise ValueError(f"row scope {kind!r} is already registered")
        cls.kind = kind
        _SCOPES[kind] = cls.from_config  # type: ignore[attr-defined]
        return cls

    return register


def _text(config: Mapping[str, Any], key: str, where: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where}: '{key}' must be a field name", field=key)
    return value.strip()


@scope("own")
@dataclass(frozen=True)
class OwnRows(RowScope):
    """Rows whose user field (say ``created_by``) holds the asking user's name."""

    field: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OwnRows:
        return cls(_text(config, "field", "row scope 'own'"))

    def clause(self, who: Principal, columns: Columns) -> ColumnElement[bool]:
        return columns[self.field] == who.username

    def matches(self, who: Principal, record: Mapping[str, Any]) -> bool:
        return record.get(self.field) == who.username

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@scope("my_groups")
@dataclass(frozen=True)
class GroupRows(RowScope):
    """Rows whose group field (say ``department``) names one of the asking user's groups."""

    field: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GroupRows:
        return cls(_text(config, "field", "row scope 'my_groups'"))

    def clause(self, who: Principal, columns: Columns) -> ColumnElement[bool]:
        return columns[self.field].in_(sorted(who.groups)) if who.groups else false()

    def matches(self, who: Principal, record: Mapping[str, Any]) -> bool:
        return record.get(self.field) in who.groups

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@scope("equals")
@dataclass(frozen=True)
class FieldEquals(RowScope):
    """Rows whose field has one fixed value (say ``status`` is ``published``)."""

    field: str
    value: Any

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FieldEquals:
        if "value" not in config:
            raise BadRequest("row scope 'equals': 'value' is missing", field="value")
        return cls(_text(config, "field", "row scope 'equals'"), config["value"])

    def clause(self, who: Principal, columns: Columns) -> ColumnElement[bool]:
        return columns[self.field].is_(None) if self.value is None else columns[self.field] == self.value

    def matches(self, who: Principal, record: Mapping[str, Any]) -> bool:
        return record.get(self.field) == self.value

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


def row_scope(config: Mapping[str, Any]) -> RowScope:
    kind = config.get("kind") if isinstance(config, Mapping) else None
    if kind not in _SCOPES:
        raise BadRequest(f"row scope kind must be one of {', '.join(sorted(_SCOPES))}, not {kind!r}",
                         field="rows")
    return _SCOPES[kind](config)


@dataclass(frozen=True)
class Grant:
    """Who may do which actions on which fields of which rows. No one named: nobody (not everybody)."""

    actions: frozenset[Action]
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    fields: frozenset[str] | None = None  # None: every field
    rows: RowScope | None = None  # None: every row

    def applies_to(self, who: Principal, action: Action) -> bool:
        return action in self.actions and (
            who.username in self.users or bool(who.roles & self.roles) or bool(who.groups & self.groups))


def _names(entry: Mapping[str, Any], key: str, where: str) -> frozenset[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest(f"{where}: '{key}' must be a list of names", field=key)
    return frozenset(value)


@dataclass(frozen=True)
class RecordPolicy:
    record_type: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    KEYS: ClassVar[frozenset[str]] = frozenset({"roles", "groups", "users", "actions", "fields", "rows"})

    @classmethod
    def from_config(cls, record_type: str, config: Iterable[Mapping[str, Any]],
                    known_fields: Iterable[str] | None = None) -> RecordPolicy:
        """Grants from a record type's JSON; a mistake is a 400 naming the grant and key, never ignored."""
        known = frozenset(known_fields) if known_fields is not None else None
        grants = []
        for index, entry in enumerate(config):
            where = f"record type '{record_type}' permission {index + 1}"
            if not isinstance(entry, Mapping):
                raise BadRequest(f"{where}: must be an object", field="permissions")
            unknown = sorted(set(entry) - cls.KEYS)
            if unknown:
                raise BadRequest(f"{where}: unknown key(s) {', '.join(unknown)}", field=unknown[0])
            actions = _names(entry, "actions", where)
            bad = sorted(actions - set(Action))
            if not actions or bad:
                raise BadRequest(f"{where}: actions must be some of {', '.join(Action)}"
                                 + (f", not {', '.join(bad)}" if bad else ""), field="actions")
            try:
                rows = row_scope(entry["rows"]) if entry.get("rows") is not None else None
            except BadRequest as exc:
                raise BadRequest(f"{where}: {exc.message}", **exc.details) from None
            grant = Grant(frozenset(Action(a) for a in actions), _names(entry, "roles", where),
                          _names(entry, "groups", where), _names(entry, "users", where),
                          _names(entry, "fields", where) if "fields" in entry else None, rows)
            if not (grant.roles or grant.groups or grant.users):
                raise BadRequest(f"{where}: name roles, groups or users", field="roles")
            if grant.actions == {Action.BULK} and (grant.fields is not None or grant.rows is not None):
                raise BadRequest(f"{where}: 'bulk' alone takes no fields or rows (each row of a bulk write is "
                                 "checked by the grants of its create, update or delete)", field="actions")
            named = (grant.fields or frozenset()) | (grant.rows.fields() if grant.rows else frozenset())
            if known is not None and named - known:
                raise BadRequest(f"{where}: no field(s) {', '.join(sorted(named - known))} in the record type",
                                 field="fields")
            grants.append(grant)
        return cls(record_type, tuple(grants))

    def _everything(self, who: Principal, action: Action) -> bool:
        return who.has("admin") or (action in READING and who.has("auditor"))

    def _grants(self, who: Principal, action: Action) -> list[Grant]:
        return [g for g in self.grants if g.applies_to(who, action)]

    def allows(self, who: Principal, action: Action) -> bool:
        """Whether ``who`` may do ``action`` on at least some records of this type."""
        return self._everything(who, action) or bool(self._grants(who, action))

    def fields_for(self, who: Principal, action: Action, all_fields: Iterable[str]) -> frozenset[str]:
        """The fields ``who`` may read (READ, EXPORT) or write (CREATE, UPDATE, IMPORT) in ``action``."""
        every = frozenset(all_fields)
        if self._everything(who, action):
            return every
        allowed: set[str] = set()
        for grant in self._grants(who, action):
            allowed |= every if grant.fields is None else grant.fields & every
        return frozenset(allowed)

    def require(self, who: Principal, action: Action, fields: Iterable[str] = (),
                record: Mapping[str, Any] | None = None) -> None:
        """Refuse (403) an action, a field it names, or a record outside every scope that allows it."""
        if self._everything(who, action):
            return
        grants = self._grants(who, action)
        if record is not None:
            grants = [g for g in grants if g.rows is None or g.rows.matches(who, record)]
        if not grants:
            raise Forbidden(f"you may not {action} records of '{self.record_type}'"
                            + (" (not this one)" if record is not None and self._grants(who, action) else ""))
        names = frozenset(fields)
        allowed: set[str] = set()
        for grant in grants:
            if grant.fields is None:
                return
            allowed |= grant.fields
        refused = sorted(names - allowed)
        if refused:
            raise Forbidden(f"you may not {action} the field(s) {', '.join(refused)} of '{self.record_type}'",
                            field=refused[0])

    def row_filter(self, who: Principal, action: Action, columns: Columns) -> ColumnElement[bool]:
        """A WHERE clause for the rows ``who`` may ``action``: true() for all, false() for none."""
        if self._everything(who, action):
            return true()
        clauses = []
        for grant in self._grants(who, action):
            if grant.rows is None:
                return true()
            clauses.append(grant.rows.clause(who, columns))
        return or_(*clauses) if clauses else false()
