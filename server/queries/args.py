"""Query arguments read strictly: each reader returns a typed value or reports the argument it could not read.

The API is strict: the first bad argument is a 400 naming it. Pages (admin, staff) are lenient: people edit
their URLs and HTML forms submit empty boxes, so a bad argument is dropped and listed in `problems` for the
page to show, and an empty value means "not given".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from flask import request
from werkzeug.exceptions import BadRequest as HTTPBadRequest

from server.errors import BadRequest

INT64_MAX = 2**63 - 1
# Ids and version numbers are INTEGER columns: 32 bits on PostgreSQL, which refuses a larger value as a
# parameter outright (a 500) where SQLite would just find nothing.
ID_MAX = 2**31 - 1
# A Werkzeug route converter for integer ids: beyond ID_MAX no row can exist, so the route does not match (404).
ID = f"int(max={ID_MAX})"
# ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
MAX_TEXT = 1000


def parse_int(text: str, minimum: int = 1, maximum: int = INT64_MAX) -> int | None:
    """An integer written in ASCII digits within [minimum, maximum], else None."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def id_value(value: object, minimum: int = 1) -> int | None:
    """An integer id from JSON or a query string (booleans and floats refused), up to ID_MAX; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if minimum <= value <= ID_MAX else None
    return parse_int(value, minimum, ID_MAX) if isinstance(value, str) else None


def clean_text(value: str, name: str) -> str:
    """A text value the databases can compare: PostgreSQL refuses NUL characters outright."""
    if "\x00" in value:
        raise BadRequest(f"{name} must not contain NUL characters", field=name)
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name} is longer than {MAX_TEXT} characters", field=name)
    return value


def parse_moment(text: str) -> datetime | None:
    """ISO 8601 date-time (or date), 'Z' or an offset allowed; returned as naive UTC like stored values."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return moment


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, datetime.min.time()) if day else None


def day_end(day: date | None) -> datetime | None:
    """The moment after `day` ends, for "until this day, inclusive"; none after the last day there is."""
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def nul_path(value: object, path: str = "") -> str | None:
    """Where in a JSON value a string (or key) holds a NUL character, as a dotted path; None if nowhere."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where.replace("\x00", "\\0")
            found = nul_path(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def refuse_nul_in_path() -> None:
    """Before every request: a path value (an id) with a NUL character is a 400 naming it, never a database
    error (PostgreSQL refuses NUL in text). Query arguments are the readers' job; bodies the validators'."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            if request.blueprint == "api":
                raise BadRequest(f"{name} must not contain NUL characters", field=name)
            raise HTTPBadRequest(f"{name} must not contain NUL characters")


class QueryArgs:
    """Typed readers over a request's query arguments (`request.args` or any mapping of strings)."""

    def __init__(self, args: Mapping[str, str], strict: bool = True) -> None:
        self._args = args
        self.strict = strict
        self.problems: list[BadRequest] = []

    def bad(self, name: str, message: str, label: str | None = None) -> None:
        """Report `name` as unreadable: raise in strict mode, else remember it (the value reads as absent).
        `label`: how a page names the argument to people (its box's label), if not by the name itself."""
        error = BadRequest(f"{label or name} {message}", field=name)
        if self.strict:
            raise error
        self.problems.append(error)

    def given(self, name: str) -> bool:
        value = self._args.get(name)
        return value is not None and (self.strict or value.strip() != "")

    def text(self, name: str, default: str | None = None) -> str | None:
        """The value as given (stripped when lenient); absent: `default`. An empty value stays "" in strict
        mode, which callers read as "no filter" (GET /tasks?status= lists every status)."""
        value = self._args.get(name)
        if value is None:
            return default
        try:
            value = clean_text(value, name)
        except BadRequest as exc:
            self.bad(name, exc.message.removeprefix(f"{name} "))
            return default
        if self.strict:
            return value
        return value.strip() or default

    def choice(self, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
        choices = tuple(choices)
        value = self.text(name, default)
        if value in (None, "", default) or value in choices:
            return value
        self.bad(name, f"must be one of {', '.join(choices)}")
        return default

    def integer(self, name: str, default: int | None = None, minimum: int = 1,
                maximum: int = INT64_MAX, label: str | None = None) -> int | None:
        if not self.given(name):
            return default
        number = parse_int(self._args[name], minimum, maximum)
        if number is None:
            limit = f"from {minimum} to {maximum}" if maximum < INT64_MAX else f"of at least {minimum}"
            self.bad(name, f"must be a number: an integer {limit}", label)
            return default
        return number

    def moment(self, name: str) -> datetime | None:
        """An ISO 8601 date-time; given but empty or unreadable is a 400 (strict)."""
        if not self.given(name):
            return None
        moment = parse_moment(self._args[name])
        if moment is None:
            self.bad(name, "must be an ISO 8601 date-time, e.g. 2026-12-31T17:00:00Z")
        return moment

    def day(self, name: str, label: str | None = None) -> date | None:
        if not self.given(name):
            return None
        day = parse_day(self._args[name])
        if day is None:
            self.bad(name, "must be a date (YYYY-MM-DD)", label)
        return day
