"""The Java methods Camunda 7 expressions call, as a closed list (`x.equals('no')`, `list.size()`).

A JUEL method call `subject.name(args)` is compiled as the transform `subject|name(args)`
(server.expressions.juel); only the names in METHODS are accepted, anything else is refused when the
expression is compiled, naming the method. Each method checks its subject's type and fails with a
clear message rather than guessing; a null subject fails too, as it does in Java (except where JUEL
itself is null-safe: `equals` compares).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server.expressions.juel_values import EXECUTION_FIELDS, ExecutionView, JuelDate, exported
from server.expressions.limits import MAX_LENGTH
from server.expressions.transforms import TRANSFORMS, register_transform
from server.expressions.values import kind_of

METHODS: set[str] = set()


def _method(name: str, fn: Callable[..., Any]) -> None:
    METHODS.add(name)
    register_transform(name, fn)


def _need(value: Any, kinds: type | tuple[type, ...], what: str) -> Any:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise TypeError(f"expects {what}, got {kind_of(value)}")
    return value


def _text(value: Any) -> str:
    return _need(value, str, "a string")


def _sized(value: Any) -> Any:
    return _need(value, (str, list, tuple, Mapping), "a string, list or map")


def _equals(value: Any, other: Any) -> bool:
    if isinstance(value, bool) or isinstance(other, bool):
        return value is other  # Java's Boolean.TRUE.equals(1) is false
    return bool(value == other)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _compare(value: Any, other: Any) -> int:
    if isinstance(value, datetime) or isinstance(other, datetime):
        value, other = as_date(value), as_date(other)
    elif not (_is_number(value) and _is_number(other)) and not (isinstance(value, str) and isinstance(other, str)):
        raise TypeError(f"cannot compare {kind_of(value)} with {kind_of(other)}")
    return (value > other) - (value < other)


def _replace(value: Any, old: Any, new: Any) -> str:
    text, old, new = _text(value), _text(old), _text(new)
    if old and text.count(old) * max(len(new) - len(old), 0) + len(text) > MAX_LENGTH:
        raise ValueError(f"the result would be longer than {MAX_LENGTH:,} characters")
    return text.replace(old, new)


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, ExecutionView):
        return value.get(key)
    items = _need(value, (list, tuple), "a list or map")
    if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < len(items):
        raise IndexError(f"index {key!r} is outside the list (size {len(items)})")
    return items[key]


def _number(value: Any, cast: Callable[[Any], Any]) -> Any:
    return cast(_need(value, (int, float, Decimal), "a number"))


for _name, _fn in {
    "equals": _equals,
    "equalsIgnoreCase": lambda v, o: isinstance(v, str) and isinstance(o, str) and v.casefold() == o.casefold(),
    "isEmpty": lambda v: len(_sized(v)) == 0,
    "size": lambda v: len(_need(v, (list, tuple, Mapping), "a list or map")),
    "toUpperCase": lambda v: _text(v).upper(),
    "toLowerCase": lambda v: _text(v).lower(),
    "trim": lambda v: _text(v).strip(),
    "substring": lambda v, start, end=None: _text(v)[start:end],
    "indexOf": lambda v, part: _sized(v).index(part) if part in _sized(v) else -1,
    "replace": _replace,
    "concat": lambda v, other: _text(v) + _text(other),
    "containsKey": lambda v, key: key in _need(v, Mapping, "a map"),
    "get": _get,
    "compareTo": _compare,
    "intValue": lambda v: _number(v, int),
    "longValue": lambda v: _number(v, int),
    "doubleValue": lambda v: _number(v, float),
    "toString": lambda v: TRANSFORMS["string"](v.isoformat() if isinstance(v, datetime) else v),
}.items():
    _method(_name, _fn)
for _name in ("contains", "startsWith", "endsWith", "length"):
    METHODS.add(_name)  # the JEXL transforms of the same name already mean what Java's methods mean


# --- dates (Joda's DateTime from dateTime(), java.util.Date from now() and toDate()) -------------

def as_date(value: Any) -> datetime:
    """A date-time from a JUEL date or ISO 8601 text (Camunda Date variables are kept as text)."""
    if isinstance(value, datetime):
        return JuelDate.of(value)
    if isinstance(value, date):
        return JuelDate.of(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, str):
        try:
            return JuelDate.of(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(f"cannot read {value!r} as a date") from None
    raise TypeError(f"expects a date, got {kind_of(value)}")


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _shift(unit: str, sign: int) -> Callable[[Any, Any], JuelDate]:
    def apply(value: Any, amount: Any) -> JuelDate:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError(f"expects a whole number of {unit}, got {kind_of(amount)}")
        moment, amount = as_date(value), amount * sign
        if unit in ("years", "months"):
            return JuelDate.of(_add_months(moment, amount * (12 if unit == "years" else 1)))
        return JuelDate.of(moment + timedelta(**{unit: amount}))

    return apply


for _unit in ("years", "months", "weeks", "days", "hours", "minutes", "seconds"):
    _method(f"plus{_unit.title()}", _shift(_unit, 1))
    _method(f"minus{_unit.title()}", _shift(_unit, -1))
for _name, _fn in {
    "toDate": as_date,
    "isBefore": lambda v, o: as_date(v) < as_date(o),
    "isAfter": lambda v, o: as_date(v) > as_date(o),
    "before": lambda v, o: as_date(v) < as_date(o),
    "after": lambda v, o: as_date(v) > as_date(o),
    "isBeforeNow": lambda v: as_date(v) < datetime.now(UTC),
    "isAfterNow": lambda v: as_date(v) > datetime.now(UTC),
    "getTime": lambda v: int(as_date(v).timestamp() * 1000),
    "withTimeAtStartOfDay": lambda v: JuelDate.of(as_date(v).replace(hour=0, minute=0, second=0, microsecond=0)),
}.items():
    _method(_name, _fn)


# --- execution -----------------------------------------------------------------------------------

def _execution(value: Any) -> ExecutionView:
    if not isinstance(value, ExecutionView):
        raise TypeError(f"is a method of execution, not of a {kind_of(value)}")
    return value


def _set_variable(value: Any, name: Any, new: Any) -> None:
    execution = _execution(value)
    if not execution.writable:
        raise TypeError("execution.setVariable is only available in an execution or task listener")
    execution.variables[_text(name)] = exported(new)  # a date is stored as ISO text, like every result


_method("getVariable", lambda v, name: _execution(v).variables.get(_text(name)))
_method("hasVariable", lambda v, name: _text(name) in _execution(v).variables)
_method("getVariables", lambda v: dict(_execution(v).variables))
_method("setVariable", _set_variable)
for _field in EXECUTION_FIELDS:
    _method(f"get{_field[0].upper()}{_field[1:]}", lambda v, _f=_field: _execution(v)[_f])
