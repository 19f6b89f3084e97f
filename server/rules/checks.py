"""A rule checked against what it names, at save: a mistake is a 400 naming the action and the thing.

Conditions and '=' values must parse and read only the names the trigger provides; `record.x`,
`old.x`, `new.x` must be fields of the trigger's record type; record types, fields, processes,
decisions, users, groups and connectors an action names must exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import connectors
from server.errors import BadRequest
from server.expressions import ExpressionError, UnknownNameError, compile_expression, compile_filter
from server.expressions.jexl import parse
from server.models import DecisionVersion, Group, ProcessVersion, User
from server.records import me, money
from server.records import service as records
from server.records.definition import SYSTEM_FIELDS
from server.records.listing import filter_error
from server.records.types import latest as latest_type
from server.rules.context import ROOTS_BY_TRIGGER, rule_principal
from server.rules.definition import expression_text
from server.rules.schedule import check_schedule

RECORD_ROOTS = ("record", "old", "new")


def _members(node: Any) -> Iterator[tuple[str, str]]:
    """(root, field) of every `root.field` in a syntax tree."""
    subject = getattr(node, "subject", None)
    if type(node).__name__ == "Identifier" and subject is not None and type(subject).__name__ == "Identifier" \
            and subject.subject is None:
        yield subject.value, node.value
    for child in getattr(node, "children", None) or ():
        yield from _members(child)


PAIR = ("amount", "currency")


def _is_null(node: Any) -> bool:
    kind = type(node).__name__
    return (kind == "Literal" and node.value is None) or (
        kind == "Identifier" and node.value == "null" and node.subject is None)


def _bare_pair(node: Any, keys: frozenset[str], parent: Any = None) -> str | None:
    """The first ``root.key`` of a money field with a currency per record used as anything but its pair's
    ``.amount`` / ``.currency`` or a test for null (None: there is none)."""
    subject = getattr(node, "subject", None)
    if type(node).__name__ == "Identifier" and node.value in keys and type(subject).__name__ == "Identifier" \
            and subject.subject is None and subject.value in RECORD_ROOTS:
        member = type(parent).__name__ == "Identifier" and parent.subject is node and parent.value in PAIR
        null_test = type(parent).__name__ == "BinaryExpression" and str(parent.operator.symbol) in ("==", "!=") \
            and any(_is_null(side) for side in (parent.left, parent.right))
        if not member and not null_test:
            return f"{subject.value}.{node.value}"
    for child in getattr(node, "children", None) or ():
        found = _bare_pair(child, keys, node)
        if found is not None:
            return found
    return None


class Checker:
    def __init__(self, session: Session, definition: Mapping[str, Any]) -> None:
        self.session = session
        self.definition = definition
        self.trigger = definition["trigger"]
        self.roots = ROOTS_BY_TRIGGER[self.trigger["type"]]
        self.trigger_fields = self._type_fields(self.trigger.get("recordType"), "trigger.recordType", "the trigger") \
            if self.trigger.get("recordType") else None
        self.action_ids: list[str] = []
        self.pairs = self._pair_fields(self.trigger.get("recordType"))

    def _pair_fields(self, key: str | None) -> frozenset[str]:
        """The trigger's money fields with a currency per record: ``{amount, currency}`` in a rule."""
        row = latest_type(self.session, key) if key else None
        return frozenset(f["key"] for f in row.definition["fields"] if money.per_record(f)) if row else frozenset()

    def _type_fields(self, key: str | None, where: str, who: str) -> dict[str, str]:
        row = latest_type(self.session, key) if key else None
        if row is None:
            raise BadRequest(f"{who}: no record type '{key}'", field=where)
        fields = {f["key"]: f["type"] for f in row.definition["fields"]}
        fields.update({name: "system" for name in SYSTEM_FIELDS})
        return fields

    def expression(self, text: str, where: str, field: str, whole_value: bool = False) -> None:
        """``whole_value``: an action's '=' value, which may be a money pair as a whole (copied)."""
        try:
            expression = compile_expression(text)
        except ExpressionError as exc:
            raise BadRequest(f"{where}: {exc}", field=field) from None
        unknown = sorted(expression.names - self.roots)
        if "$me" in unknown:
            raise BadRequest(f"{where}: `$me` is the user whose change, step or click caused the run; a "
                             f"{self.trigger['type']} rule runs without one, so `$me` has no value in it "
                             f"(in '{text}')", field=field)
        if unknown:
            raise BadRequest(f"{where}: unknown name '{unknown[0]}' in '{text}'; a {self.trigger['type']} rule reads "
                             f"{', '.join(sorted(self.roots))}", field=field)
        tree = parse(text)
        bare = _bare_pair(tree, self.pairs) if self.pairs and not (whole_value and type(tree).__name__ ==
                                                                   "Identifier") else None
        if bare is not None:
            key = bare.split(".", 1)[1]
            raise BadRequest(f"{where}: '{key}' holds an amount and its currency ({{amount, currency}}), not one "
                             f"number: write {bare}.amount (a number) and {bare}.currency (e.g. == \"USD\"), "
                             f"or test {bare} == null (in '{text}')", field=field)
        for root, name in _members(tree):
            if root in RECORD_ROOTS and self.trigger_fields is not None and name not in self.trigger_fields:
                raise BadRequest(f"{where}: the record type '{self.trigger['recordType']}' has no field '{name}' "
                                 f"(in '{text}')", field=field)
            if root == "results" and name not in self.action_ids:
                raise BadRequest(f"{where}: results.{name} names no earlier action", field=field)

    def values(self, value: Any, where: str, field: str) -> None:
        text = expression_text(value)
        if text is not None:
            self.expression(text, where, field, whole_value=True)
        elif isinstance(value, Mapping):
            for v in value.values():
                self.values(v, where, field)
        elif isinstance(value, list):
            for v in value:
                self.values(v, where, field)

    def check(self) -> None:
        trigger = self.trigger
        if trigger["type"] == "record" and trigger["fields"]:
            self._known(trigger["fields"], self.trigger_fields or {}, "trigger.fields", "the trigger",
                        trigger["recordType"])
        if trigger["type"] == "date":
            kind = (self.trigger_fields or {}).get(trigger["field"])
            if kind not in ("date", "datetime") and trigger["field"] not in ("created_at", "updated_at"):
                raise BadRequest(f"the trigger: '{trigger['field']}' is not a date or datetime field of "
                                 f"'{trigger['recordType']}'", field="trigger.field")
        if trigger["type"] == "process":
            self._exists(ProcessVersion, ProcessVersion.key, trigger["process"], "trigger.process", "process",
                         "the trigger")
        if trigger["type"] == "schedule":
            check_schedule(trigger)
        if self.definition["condition"]:
            self.expression(self.definition["condition"], "condition", "condition")
        for index, action in enumerate(self.definition["actions"]):
            self._action(action, index)
            self.action_ids.append(action["id"])

    def _known(self, names: list[str], fields: Mapping[str, str], field: str, who: str, type_key: str) -> None:
        missing = [n for n in names if n not in fields]
        if missing:
            raise BadRequest(f"{who}: the record type '{type_key}' has no field(s) {', '.join(missing)}", field=field)

    def _exists(self, model: Any, column: Any, value: str, field: str, what: str, who: str) -> None:
        if self.session.scalar(select(model.id).where(column == value).limit(1)) is None:
            raise BadRequest(f"{who}: no {what} '{value}'", field=field)

    def _action(self, action: Mapping[str, Any], index: int) -> None:
        who = f"action {index + 1} ({action['id']})"
        prefix = f"actions[{index}]"
        for name, value in action.items():
            if name not in ("id", "type", "filter", "condition"):
                self.values(value, who, f"{prefix}.{name}")
        if action.get("condition"):
            self.expression(str(action["condition"]), who, f"{prefix}.condition")
        kind = action["type"]
        if kind in ("create_record", "update_record", "delete_record", "query_records"):
            type_key = action.get("recordType") or self.trigger.get("recordType")
            if not type_key:
                raise BadRequest(f"{who}: name a 'recordType' (the trigger has none)", field=f"{prefix}.recordType")
            fields = self._type_fields(type_key, f"{prefix}.recordType", who)
            if isinstance(action.get("fields"), Mapping):
                self._known(list(action["fields"]), fields, f"{prefix}.fields", who, type_key)
            elif "fields" in action:
                raise BadRequest(f"{who}: 'fields' must be an object", field=f"{prefix}.fields")
            if "filter" in action:
                self._filter(action["filter"], type_key, who, f"{prefix}.filter")
            if kind in ("update_record", "delete_record") and "filter" not in action and \
                    action.get("recordType", type_key) != self.trigger.get("recordType"):
                raise BadRequest(f"{who}: give a 'filter' (or act on the trigger's record type)",
                                 field=f"{prefix}.filter")
        elif kind == "start_process":
            self._exists(ProcessVersion, ProcessVersion.key, action["process"], f"{prefix}.process", "process", who)
        elif kind == "evaluate_decision":
            self._exists(DecisionVersion, DecisionVersion.key, action["decision"], f"{prefix}.decision", "decision",
                         who)
        elif kind == "notify":
            self._notify(action, who, prefix)
        elif kind == "send_message" and "correlationKeys" in action:
            keys = action["correlationKeys"]
            if not isinstance(keys, Mapping) or not keys or not all(isinstance(k, str) and k.isidentifier()
                                                                   for k in keys):
                raise BadRequest(f"{who}: 'correlationKeys' must be an object of instance variable names to values "
                                 "(the waiting instances whose variables have them get the message)",
                                 field=f"{prefix}.correlationKeys")
        elif kind == "call_connector":
            if action["connector"] not in connectors.names():
                known = ", ".join(connectors.names())
                raise BadRequest(f"{who}: no connector '{action['connector']}' (known: {known})",
                                 field=f"{prefix}.connector")
        elif kind == "wait":
            minutes = action["minutes"]
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 60 * 24 * 366:
                raise BadRequest(f"{who}: 'minutes' must be a whole number from 1 to 527040", field=f"{prefix}.minutes")

    def _filter(self, value: Any, type_key: str, who: str, field: str) -> None:
        """A record filter: an '=' expression is checked as any value; a filter as written must compile against
        the type's fields, and may say `$me` only where the trigger has a person (server/rules/actions.py)."""
        text = expression_text(value)
        if text is not None:
            self.expression(text, who, field)
            return
        if not isinstance(value, str):
            raise BadRequest(f"{who}: 'filter' must be a filter text or an '=' expression", field=field)
        columns = records.access(self.session, rule_principal(str(self.definition.get("key") or "?")), type_key,
                                 records.Action.READ).columns()
        if "$me" not in self.roots:
            columns = {name: column for name, column in columns.items() if not me.is_me(name)}
        try:
            compile_filter(value, columns)
        except UnknownNameError as exc:
            if not me.is_me(exc.name) or "$me" in self.roots:
                raise BadRequest(f"{who}: {filter_error(exc, columns).message}", field=field) from None
            raise BadRequest(f"{who}: `$me` in a filter is the user whose change or click caused the run; a "
                             f"{self.trigger['type']} rule runs without one, so `$me` has no value in it "
                             f"(in '{value}')", field=field) from None
        except ExpressionError as exc:
            raise BadRequest(f"{who}: {filter_error(exc, columns).message}", field=field) from None

    def _notify(self, action: Mapping[str, Any], who: str, prefix: str) -> None:
        for name, model, column in (("users", User, User.username), ("groups", Group, Group.name)):
            value = action.get(name, [])
            if expression_text(value) is not None:
                continue
            if not isinstance(value, list):
                raise BadRequest(f"{who}: '{name}' must be a list", field=f"{prefix}.{name}")
            for item in value:
                if expression_text(item) is None:
                    self._exists(model, column, str(item), f"{prefix}.{name}", name[:-1], who)
        if action.get("userField"):
            self._known([action["userField"]], self.trigger_fields or {}, f"{prefix}.userField", who,
                        self.trigger.get("recordType") or "(none)")
        if not any(action.get(k) for k in ("users", "groups", "userField", "managerOf")):
            raise BadRequest(f"{who}: name users, groups, a userField or managerOf", field=f"{prefix}.users")


def check_definition(session: Session, definition: Mapping[str, Any]) -> None:
    Checker(session, definition).check()

