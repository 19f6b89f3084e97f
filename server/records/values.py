"""The one validator of record values: every path that writes a record (API, pages, deploy-time defaults,
later connectors, rules and imports) calls ``validate``.

It checks storability (server/forms/limits.check_value), then the record type's JSON Schema through the
forms validator (types, lengths, patterns, options, required), then what JSON Schema cannot say about
exact decimals (their min/max), and returns the values as the columns store them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from server.errors import FormInvalid, ValueRefused
from server.forms.files import is_file_field
from server.forms.limits import check_value
from server.forms.validation import FieldMessage, FormValidationError, property_checks, validate_submission
from server.records import money
from server.records.definition import checksum, json_schema
from server.records.fields import KINDS, DecimalKind
from server.records.value_checks import quick_check


def _message(text: str, code: str, **params: Any) -> FieldMessage:
    return FieldMessage(text, code, params)


def _decimal_bounds(field: Mapping[str, Any], value: str) -> FieldMessage | None:
    checks = field.get("validation", {})
    number = Decimal(value)
    if "min" in checks and number < Decimal(checks["min"]):
        return _message(f"must be at least {checks['min']}", "minimum", value=checks["min"])
    if "max" in checks and number > Decimal(checks["max"]):
        return _message(f"must be at most {checks['max']}", "maximum", value=checks["max"])
    return None


def _as_decimal_text(value: Any) -> Any:
    # JSON numbers reach Python as int or float; a float's repr is the shortest text that reads back as
    # the same number, i.e. what the client wrote for up to 15 significant digits. Text stays text.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if "e" not in repr(value) else value
    return value


def _money_text(value: Mapping[str, Any]) -> dict[str, Any]:
    """A per-record-currency amount (server/records/money.py) with its amount as exact text."""
    return {**value, "amount": _as_decimal_text(value["amount"])} if "amount" in value else dict(value)


def _sub_row(field: Mapping[str, Any], row: Any) -> Any:
    if not isinstance(row, Mapping):
        return row
    decimals = {f["key"] for f in field["fields"] if isinstance(KINDS[f["type"]], DecimalKind)}
    return {k: _as_decimal_text(v) if k in decimals else v for k, v in row.items()}


def _plainly_storable(value: Any) -> bool:
    """What ``check_value`` would pass without looking further (most cells): saves its walk per value."""
    kind = type(value)
    return value is None or kind is int or kind is bool or (
        kind is str and len(value) <= 1000 and value.isascii() and "\x00" not in value)


class RecordValidator:
    """The validator of one record-type version, compiled once (cached by ``validator_of``): the field
    table, the JSON Schema and a check per property are built here, not on every record.

    A record whose every value passes its property's check takes the fast path (each distinct simple value
    of a field is checked once per run: a spreadsheet repeats its options, dates and numbers); one that
    does not is validated whole by ``validate_submission``, so its messages are exactly the form's."""

    MEMO = 2048  # distinct values remembered per field (short ones: options, dates, numbers, codes)

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.fields = {f["key"]: f for f in definition["fields"]}
        self.kinds = {k: KINDS[f["type"]] for k, f in self.fields.items()}
        writable = [k for k, kind in self.kinds.items() if kind.writable]
        self.schema = json_schema(definition, writable)
        self.required = frozenset(self.schema["required"])
        self.defaults = {k: f["default"] for k, f in self.fields.items() if f.get("default") is not None}
        self.decimals = frozenset(k for k, kind in self.kinds.items() if isinstance(kind, DecimalKind))
        self.checks = property_checks(self.schema)
        self.quick = {k: check for k, prop in self.schema["properties"].items()
                      if (check := quick_check(prop)) is not None}
        self.files = frozenset(k for k, prop in self.schema["properties"].items() if is_file_field(prop))
        self.memo: dict[str, dict[tuple[type, Any], bool]] = {k: {} for k in writable}
        self._stored: dict[str, dict[tuple[type, Any], Any]] = {k: {} for k in writable}
        self._shapes: dict[tuple[frozenset[str], bool, frozenset[str]], _Shape | None] = {}

    def _passes(self, key: str, value: Any) -> bool:
        quick = self.quick.get(key)
        if quick is not None and quick(value):
            return True
        if not isinstance(value, str | int | float | bool) or (isinstance(value, str) and len(value) > 64):
            return bool(self.checks[key](value))  # long texts rarely repeat: not worth the memory
        memo = self.memo[key]
        known = memo.get((type(value), value))
        if known is None:
            known = bool(self.checks[key](value))
            if len(memo) < self.MEMO:  # full: the values met first stay (a column's options come early)
                memo[(type(value), value)] = known
        return known

    def _schema_errors(self, present: dict[str, Any], given: Mapping[str, Any], creating: bool
                       ) -> dict[str, Any]:
        if not (creating and self.required - present.keys()) and not (self.files & present.keys()) \
                and all(self._passes(k, v) for k, v in present.items()):
            return {}
        schema = {**self.schema, "required": [k for k in self.schema["required"] if creating or k in given]}
        try:
            validate_submission(schema, present)
        except FormValidationError as exc:
            return dict(exc.errors)
        return {}

    def validate(self, values: Any, *, creating: bool, visible: frozenset[str]) -> dict[str, Any]:
        """``values`` (a JSON object of field -> value; null clears a field) as column values, or FormInvalid.

        ``creating``: every required field must be present (defaults fill the missing ones first);
        ``visible``: the fields the caller may read — an error about any other field is not named."""
        if not isinstance(values, Mapping):
            raise FormInvalid({"fields": _message("must be an object of field values", "not_object")})
        plain = self.plain(values, creating=creating, visible=visible)
        if plain is not None:
            return plain
        fields, kinds = self.fields, self.kinds
        errors: dict[str, Any] = {}
        given = dict(values)
        defaulted: set[str] = set()
        if creating:
            for key, default in self.defaults.items():
                if key not in given:
                    given[key] = default
                    defaulted.add(key)
        for key, value in given.items():
            # A default is the designer's value, not the caller's: written also where the caller cannot see
            if key not in fields or key not in visible and key not in defaulted:
                errors[key] = _message("is not a field of this record type", "unknown_field")
                continue
            if not kinds[key].writable:
                errors[key] = _message("is computed; it cannot be written", "read_only")
                continue
            if _plainly_storable(value):
                continue
            try:
                check_value(value, key)
            except ValueRefused as exc:
                errors.update({k: v for k, v in exc.details.get("fields", {}).items()})
        if errors:
            raise FormInvalid(errors)
        present = {k: v for k, v in given.items() if v is not None}
        for key in sorted(set(given) - set(present)):
            if fields[key]["required"]:
                errors[key] = _message("is required", "required")
        for key, value in present.items():
            if key in self.decimals:
                present[key] = _money_text(value) if isinstance(value, Mapping) else _as_decimal_text(value)
            elif fields[key]["type"] == "sub_table" and isinstance(value, list):
                present[key] = [_sub_row(fields[key], row) for row in value]
        errors.update(self._schema_errors(present, given, creating))
        for key, value in present.items():
            if key not in errors and key in self.decimals and isinstance(value, str):
                problem = _decimal_bounds(fields[key], value)
                if problem:
                    errors[key] = problem
        if errors:
            shown = {k: v for k, v in errors.items() if k.split(".")[0] in visible}
            hidden = len(errors) - len(shown)
            if hidden:
                shown["fields"] = _message("a field you cannot see needs a value; ask the record type's designer",
                                           "hidden_field", count=hidden)
            raise FormInvalid(shown)
        return {key: kinds[key].to_db(fields[key], present.get(key)) for key in given}

    def _shape(self, keys: frozenset[str], creating: bool, visible: frozenset[str]) -> _Shape | None:
        """What ``validate`` decides from a record's keys alone (memoized per key set): None when some key
        is unknown, hidden, computed or a file (``validate`` alone speaks then)."""
        found = self._shapes.get((keys, creating, visible), _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        shape = None
        if keys <= visible and all(k in self.fields and self.kinds[k].writable for k in keys) \
                and not keys & self.files:
            defaults = {k: v for k, v in self.defaults.items() if k not in keys} if creating else {}
            missing = (self.required - keys - defaults.keys()) if creating else frozenset()
            required = frozenset(k for k in keys if self.fields[k]["required"])
            shape = None if missing else _Shape(defaults, required)
        if len(self._shapes) < 64:
            self._shapes[(keys, creating, visible)] = shape
        return shape

    def _column_value(self, key: str, value: Any) -> Any:
        """A present value of ``key`` as its column stores it, if it passes every check ``validate`` makes of
        it (storable, its property's schema, decimal bounds); else ``_SLOW``. Short values are memoized."""
        kind = type(value)
        memo = self._stored[key] if kind in _MEMO_KINDS and (kind is not str or len(value) <= 64) else None
        if memo is not None:
            found = memo.get((kind, value), _UNSEEN)
            if found is not _UNSEEN:
                return found
        stored = _SLOW
        if _plainly_storable(value):
            checked = _as_decimal_text(value) if key in self.decimals else value
            if self._passes(key, checked) and not (key in self.decimals and isinstance(checked, str)
                                                   and _decimal_bounds(self.fields[key], checked)):
                stored = self.kinds[key].to_db(self.fields[key], checked)
        if memo is not None and type(stored) in _IMMUTABLE and len(memo) < self.MEMO:
            memo[(kind, value)] = stored
        return stored

    def plain(self, values: Mapping[str, Any], *, creating: bool, visible: frozenset[str]) -> dict[str, Any] | None:
        """What ``validate`` returns for ``values`` when every value is plainly valid (a spreadsheet's rows,
        mostly): each value's checks memoized per field, no per-row schema walk; None when any value or key
        needs ``validate`` itself, which then says exactly what is wrong."""
        shape = self._shape(frozenset(values), creating, visible)
        if shape is None:
            return None
        stored: dict[str, Any] = {}
        memos, kinds, fields = self._stored, self.kinds, self.fields
        for key, value in (values.items() if not shape.defaults else {**values, **shape.defaults}.items()):
            if value is None:
                if key in shape.required:
                    return None
                stored[key] = kinds[key].to_db(fields[key], None)
                continue
            try:  # the memo inline: most values were met before
                found = memos[key].get((type(value), value), _UNSEEN)
            except TypeError:  # unhashable (a list)
                found = _UNSEEN
            if found is _UNSEEN:
                found = self._column_value(key, value)
            if found is _SLOW:
                return None
            stored[key] = found
        return stored

    def converted(self, values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """The column values of ``values`` that ``validate`` accepted before with this same definition (an
        import's writing pass after its validation pass): what ``validate`` returns, without checking again."""
        given = dict(values)
        if creating:
            for key, default in self.defaults.items():
                given.setdefault(key, default)
        stored = {}
        for key, value in given.items():
            if value is not None and key in self.decimals:
                value = _money_text(value) if isinstance(value, Mapping) else _as_decimal_text(value)
            elif value is not None and self.fields[key]["type"] == "sub_table" and isinstance(value, list):
                value = [_sub_row(self.fields[key], row) for row in value]
            stored[key] = self.kinds[key].to_db(self.fields[key], value)
        return stored


_UNSEEN = object()
_SLOW = object()
_MEMO_KINDS = frozenset({str, int, bool})  # what a column repeats: options, dates, numbers, names
_IMMUTABLE = frozenset({str, int, bool, Decimal, date, datetime, type(None)})


@dataclass(frozen=True)
class _Shape:
    defaults: dict[str, Any]  # the defaults a create adds (fields the record does not name)
    required: frozenset[str]  # the named fields that may not be null


_VALIDATORS: dict[str, RecordValidator] = {}


def validator_of(definition: Mapping[str, Any], digest: str | None = None) -> RecordValidator:
    """The compiled validator of a definition, by its checksum (a record type's row stores it: pass it as
    ``digest`` to skip hashing the definition again)."""
    digest = digest or checksum(definition)
    found = _VALIDATORS.get(digest)
    if found is None:
        if len(_VALIDATORS) >= 32:
            _VALIDATORS.clear()
        found = _VALIDATORS[digest] = RecordValidator(definition)
    return found


def validate(definition: Mapping[str, Any], values: Any, *, creating: bool,
             visible: frozenset[str]) -> dict[str, Any]:
    """The one validator of record values (see ``RecordValidator.validate``)."""
    return validator_of(definition).validate(values, creating=creating, visible=visible)


def to_json(definition: Mapping[str, Any], row: Any, visible: frozenset[str]) -> dict[str, Any]:
    """A row's field values as JSON, only the ``visible`` fields, in the definition's order."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    if money.fields_of(definition):
        mapping = money.fold(definition, mapping)
    return {f["key"]: KINDS[f["type"]].to_json(f, mapping[f["key"]]) for f in definition["fields"]
            if f["key"] in visible and f["key"] in mapping}


class JsonWriter:
    """``to_json`` of many rows of one definition with every value present: each field's converter found once."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.folds = bool(money.fields_of(definition))  # a Money value needs to_json's own handling
        self.fields = [(f["key"], f, KINDS[f["type"]], {}) for f in definition["fields"]]

    def __call__(self, values: Mapping[str, Any]) -> dict[str, Any]:
        if self.folds:
            return to_json({"fields": [f for f in self.definition["fields"] if f["key"] in values]}, values,
                           frozenset(values))
        result = {}
        for key, field, kind, memo in self.fields:
            if key not in values:
                continue
            value = values[key]
            kind_of = type(value)
            if kind_of not in _IMMUTABLE:
                result[key] = kind.to_json(field, value)
                continue
            # Decimal('-0') == Decimal('0') (and hashes alike) but is written "-0.00": an amount by its text
            memo_key = (kind_of, str(value)) if kind_of is Decimal else (kind_of, value)
            found = memo.get(memo_key, _UNSEEN)  # dates, options, amounts repeat
            if found is _UNSEEN:
                found = kind.to_json(field, value)
                if len(memo) < RecordValidator.MEMO and type(found) in _IMMUTABLE:
                    memo[memo_key] = found
            result[key] = found
        return result
