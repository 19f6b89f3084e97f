"""JEXL transforms (`value|name(args...)`): the registry and the defaults every expression can use.

Null passes through (or counts as empty, or as "does not contain") so optional form fields do not
turn every condition into an error; other wrong types fail loudly instead of guessing. The filter
compiler (server.expressions.sql) translates contains/startsWith/endsWith and folds the date
transforms, with the same meaning as here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from server.expressions.values import kind_of

_IDENT_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

# Looked up at each call, so re-registering a transform affects already compiled expressions.
TRANSFORMS: dict[str, Callable[..., Any]] = {}


def register_transform(name: str, fn: Callable[..., Any]) -> None:
    """Make ``value|name(args...)`` available to every expression; ``fn(value, *args)``."""
    if not _IDENT_RE.fullmatch(name):
        raise ValueError(f"invalid transform name {name!r}")
    if not callable(fn):
        raise TypeError(f"transform {name!r} must be callable")
    TRANSFORMS[name] = fn


def _change_case(value: Any, upper: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value and (value.upper() if upper else value.lower())
    raise TypeError(f"expects a string, got {kind_of(value)}")


def _to_number(value: Any) -> int | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    raise ValueError(f"cannot convert {kind_of(value)} {value!r} to a number")


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise TypeError(f"expects a string, list or object, got {kind_of(value)}")


def _to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # JSON spelling, not Python's True/False
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _text_test(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def apply(value: Any, part: Any) -> bool:
        if not isinstance(part, str):
            raise TypeError(f"expects a string argument, got {kind_of(part)}")
        if value is None:
            return False  # an empty optional field contains nothing
        if isinstance(value, str):
            return test(value, part)
        raise TypeError(f"expects a string, got {kind_of(value)}")

    return apply


def _contains(value: Any, part: Any) -> bool:
    if isinstance(value, list | tuple):
        return part in value
    return _text_test(lambda text, sub: sub in text)(value, part)


def _holds(every: bool) -> Callable[[Any, Any], bool]:
    """containsAny / containsAll: a list field holds some / each of the values (null holds nothing)."""
    def apply(value: Any, wanted: Any) -> bool:
        if not isinstance(wanted, list | tuple):
            raise TypeError(f"expects a list argument, got {kind_of(wanted)}")
        if value is None:
            return False
        if not isinstance(value, list | tuple):
            raise TypeError(f"expects a list, got {kind_of(value)}")
        return (all if every else any)(item in value for item in wanted)

    return apply


def _shift(unit: str, dates_too: bool) -> Callable[[Any, Any], Any]:
    def apply(value: Any, amount: Any) -> Any:
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            raise TypeError(f"expects a number of {unit}, got {kind_of(amount)}")
        if value is None:
            return None
        if isinstance(value, datetime) or (dates_too and isinstance(value, date)):
            return value + timedelta(**{unit: amount})
        raise TypeError(f"expects a {'date or ' if dates_too else ''}date-time, got {kind_of(value)}")

    return apply


def _to_date(value: Any) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise ValueError(f"cannot read {value!r} as a date") from None
    raise TypeError(f"expects a date, date-time or ISO date text, got {kind_of(value)}")


register_transform("lower", lambda v: _change_case(v, upper=False))
register_transform("upper", lambda v: _change_case(v, upper=True))
register_transform("length", _length)
register_transform("string", _to_string)
register_transform("number", _to_number)
register_transform("int", lambda v: None if (n := _to_number(v)) is None else int(n))
register_transform("contains", _contains)
register_transform("containsAny", _holds(every=False))
register_transform("containsAll", _holds(every=True))
register_transform("startsWith", _text_test(str.startswith))
register_transform("endsWith", _text_test(str.endswith))
register_transform("addDays", _shift("days", dates_too=True))
register_transform("addHours", _shift("hours", dates_too=False))
register_transform("addMinutes", _shift("minutes", dates_too=False))
register_transform("date", _to_date)
