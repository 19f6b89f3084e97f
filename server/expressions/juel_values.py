"""The objects Camunda 7 expressions call methods on: dates from `now()`/`dateTime()` and `execution`.

JUEL in Camunda reaches Java objects; here the few Camunda documents and real models use are plain
Python values with a closed set of methods (server.expressions.juel_methods), so an expression can
never reach anything else. Dates are date-times in UTC while an expression runs and ISO 8601 text once
its value leaves it (`exported`), the way BOMS keeps Camunda `Date` variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

from server.expressions.errors import ExpressionError
from server.expressions.functions import register_function

# Readable as `execution.<name>` (and as `execution.get<Name>()`); the engine fills them in (`eventName` in
# listeners only; null elsewhere, as in Camunda). The activity fields name the element evaluating the
# expression; where the engine does not know it they are NOT_KNOWN and reading them fails rather than
# answering null.
EXECUTION_FIELDS = ("id", "processInstanceId", "processBusinessKey", "businessKey", "processDefinitionId",
                    "processDefinitionKey", "eventName", "currentActivityId", "currentActivityName", "activityId")
NOT_KNOWN = object()


class JuelDate(datetime):
    """A date-time made by `now()`, `dateTime()` or one of its methods (Joda's DateTime, java.util.Date)."""

    @classmethod
    def of(cls, moment: datetime) -> JuelDate:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        return cls.combine(moment.date(), moment.timetz())


class ExecutionView(Mapping[str, Any]):
    """`execution` in an expression: the fields above and the instance's variables.

    Only an execution listener may write (`setVariable`); elsewhere the view is read-only, so a
    condition cannot change data as a side effect."""

    def __init__(self, variables: MutableMapping[str, Any], fields: Mapping[str, Any], writable: bool = False) -> None:
        self.variables = variables
        self._fields = {name: fields.get(name) for name in EXECUTION_FIELDS}
        self.writable = writable

    def __getitem__(self, key: str) -> Any:
        value = self._fields[key]
        if value is NOT_KNOWN:
            raise ValueError(f"execution.{key} is not known where this expression is evaluated")
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


# Names an expression may use without the caller passing them (`execution`): name -> provider(context).
IMPLICIT: dict[str, Callable[[MutableMapping[str, Any]], Any]] = {}


def register_implicit(name: str, provider: Callable[[MutableMapping[str, Any]], Any]) -> None:
    IMPLICIT[name] = provider


def with_implicit(context: Mapping[str, Any], names: tuple[str, ...]) -> Mapping[str, Any]:
    """The context plus the implicit names it lacks and the expression reads (when a provider has them)."""
    added = {}
    for name in names:
        if name not in context and name in IMPLICIT:
            value = IMPLICIT[name](context)  # type: ignore[arg-type]
            if value is not None:
                added[name] = value
    return {**context, **added} if added else context


def exported(value: Any) -> Any:
    """An expression's result as the engine stores it: a JUEL date becomes ISO 8601 text; `execution` or
    `task` themselves are no value (refused, not stored: they could not be saved with the instance)."""
    if isinstance(value, JuelDate):
        return value.isoformat()
    pending = [value]  # a loop, not recursion: a hostile value may nest deeper than the interpreter's stack
    while pending:
        item = pending.pop()
        if isinstance(item, ExecutionView):
            raise ExpressionError("execution and task are not values: read a variable or a field of them")
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return value


def _now() -> JuelDate:
    return JuelDate.now(UTC)


register_function("now", _now)
register_function("dateTime", _now)
