"""What a rule's condition and action values read, and the run they are evaluated in.

The context of a run is stored with it as JSON (record, old, new, changed, instance, task, payload,
actor); `scope()` adds `now`, the rule, `results` (each earlier action's result by its id) and `$me`
(the actor, where the trigger has one), and turns decimal and money fields back into numbers so
`record.stock < record.safety_stock` compares numbers, not text (a money field with a currency per record is
`{amount, currency}` with the amount a number: `record.price.amount > 100 && record.price.currency == "USD"`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.config import Config
from server.expressions import ExpressionError, compile_expression
from server.models import User
from server.rules.definition import expression_text

ROOTS_BY_TRIGGER: dict[str, frozenset[str]] = {
    "record": frozenset({"record", "old", "new", "changed", "actor", "$me", "now", "rule", "results"}),
    "date": frozenset({"record", "now", "rule", "results"}),
    "manual": frozenset({"record", "payload", "actor", "$me", "now", "rule", "results"}),
    "process": frozenset({"instance", "task", "actor", "$me", "now", "rule", "results"}),
    "schedule": frozenset({"now", "rule", "results"}),
    "webhook": frozenset({"payload", "now", "rule", "results"}),
}
NUMERIC_TYPES = ("decimal", "money")


class ActionFailed(Exception):
    """An action could not be done: which one, with what input, why; retryable or not."""

    def __init__(self, action: str, message: str, given: Any = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.action, self.message, self.given, self.retryable = action, message, given, retryable


def rule_principal(rule_key: str, acting_for: Principal | None = None) -> Principal:
    """Who a rule's actions act as: the audit names the rule (`rule:<key>`). Rules are written by admins
    and modelers and run unattended, so they act with admin rights (README, "Rules": who may save one).
    `acting_for`: the person whose change or click ran it, `$me` in the actions' record filters."""
    return Principal(0, f"rule:{rule_key}", frozenset({"admin"}), frozenset(), acting_for=acting_for)


def acting_person(session: Session, username: str) -> Principal:
    """The person a rule acts for, with what `$me.<attribute>` reads; someone BOMS no longer knows (or not a
    person: another rule) is still `$me` by name, with no attributes."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        return Principal(0, username, frozenset(), frozenset())
    return Principal.of(user)


def typed(definition: Mapping[str, Any] | None, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    if definition is None:
        return dict(values)
    numeric = {f["key"] for f in definition["fields"] if f["type"] in NUMERIC_TYPES}
    out = dict(values)
    for key in numeric & set(out):
        if isinstance(out[key], str):
            with contextlib.suppress(InvalidOperation):
                out[key] = Decimal(out[key])
        elif isinstance(out[key], Mapping) and isinstance(out[key].get("amount"), str):
            # a currency per record: {amount, currency}, the amount a number as for one currency
            with contextlib.suppress(InvalidOperation):
                out[key] = {**out[key], "amount": Decimal(out[key]["amount"])}
    return out


def scope_of(context: Mapping[str, Any], rule_key: str, definition: Mapping[str, Any] | None,
             results: Mapping[str, Any]) -> dict[str, Any]:
    scope: dict[str, Any] = {name: context.get(name) for name in ("old", "new", "record", "changed", "instance",
                                                                   "task", "payload", "actor")}
    for name in ("record", "old", "new"):
        scope[name] = typed(definition, scope[name])
    scope["changed"] = scope["changed"] or []
    scope["$me"] = context.get("actor")  # who caused the run: the writer, the clicker (or rule:<key> for a rule)
    scope["now"] = datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"
    scope["rule"] = {"key": rule_key}
    scope["results"] = dict(results)
    return scope


def evaluate_value(value: Any, scope: Mapping[str, Any], action: str) -> Any:
    """An action's value with every '=' string evaluated (inside lists and objects too)."""
    text = expression_text(value)
    if text is not None:
        try:
            return _plain(compile_expression(text).evaluate(scope))
        except ExpressionError as exc:
            raise ActionFailed(action, str(exc), value) from None
    if isinstance(value, Mapping):
        return {k: evaluate_value(v, scope, action) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate_value(v, scope, action) for v in value]
    return value


def _plain(value: Any) -> Any:
    """JSON-safe: Decimals back to int or text (a record field takes either)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Step:
    """One action being run: where (session), as whom, with what it may read."""

    session: Session
    runner: Any
    config: Config
    rule_key: str
    run_id: int | None
    context: dict[str, Any]
    scope: dict[str, Any]
    trigger: dict[str, Any]
    action: dict[str, Any] = field(default_factory=dict)
    dry: bool = False
    attempt: int = 1

    @functools.cached_property
    def who(self) -> Principal:
        actor = self.context.get("actor") if "$me" in ROOTS_BY_TRIGGER[self.trigger["type"]] else None
        return rule_principal(self.rule_key, acting_person(self.session, str(actor)) if actor else None)

    @property
    def action_id(self) -> str:
        return self.action["id"]

    def value(self, name: str, default: Any = None) -> Any:
        return evaluate_value(self.action.get(name, default), self.scope, self.action_id)

    def fail(self, message: str, given: Any = None, retryable: bool = False) -> ActionFailed:
        return ActionFailed(self.action_id, message, given, retryable)
