"""Spreadsheet cells to record values, one converter per field type, kept in a registry.

A converter turns what the reader gives (python-calamine: str, int, float, bool, date, datetime, time;
CSV: str) into the JSON value the records validator takes (what the API would accept), or raises
``CellError`` saying what is wrong with the cell. A new field type plugs in with ``@converter("name")``;
a field whose type has no converter is refused when the mapping is made, never imported as text.

The rules (README "Records: import and export"): numbers with thousands separators (1,234.50 / 1 234,50
is not guessed), percentages (12.5% -> 0.125), money with a currency sign or code; dates as Excel serials,
ISO, 2026/3/5, 2026.3.5, 2026年3月5日; booleans as true/false, yes/no, y/n, 1/0, 是/否, 对/错; selects by
value or by label in either language; users by user name or display name; relations by a unique
text field of the related type or by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.errors import BadRequest

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29
TRUE = frozenset({"true", "t", "yes", "y", "1", "是", "对", "真", "✓", "√", "x"})
FALSE = frozenset({"false", "f", "no", "n", "0", "否", "错", "假", "✗", "×"})
CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*|[¥￥$€£])|(?:\s*[A-Z]{3}|元|[¥￥$€£])$")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
DATETIME_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2})[:时](\d{2})"
                           r"(?:[:分](\d{2})(?:\.(\d{1,6}))?)?秒?)?\s*(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)
SPLIT = re.compile(r"\s*[,;，；、|]\s*")


class CellError(ValueError):
    """What is wrong with one cell, in words a user can act on; ``code`` and ``params`` let a page say it in
    the reader's language (server/inbox/texts.py FIELD_TEXTS), the text is the English."""

    def __init__(self, text: str, code: str | None = None, **params: Any) -> None:
        super().__init__(text)
        self.code, self.params = code, params


@dataclass
class Context:
    """What converters look up once per import instead of once per cell."""

    users: Mapping[str, str] = field(default_factory=dict)  # user name or display name (casefolded) -> user name
    # relation field -> (a target record's unique text value, casefolded -> its id); see imports/relations.py
    relations: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    zone: tzinfo = UTC  # what a date and time without a zone means: options.timezone, else UTC


def zone_of(name: Any) -> tzinfo:
    """The IANA time zone an import's options name (``Asia/Shanghai``), or BadRequest."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise BadRequest("options.timezone must name a time zone such as Asia/Shanghai", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"options.timezone: no time zone '{name}' (such as Asia/Shanghai or UTC)",
                         field="timezone") from None


Converter = Callable[[Mapping[str, Any], Any, Context], Any]
CONVERTERS: dict[str, Converter] = {}


def converter(*names: str) -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        for name in names:
            if name in CONVERTERS:
                raise ValueError(f"a converter for '{name}' is registered twice")
            CONVERTERS[name] = fn
        return fn
    return register


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if is_blank(value):
        return None
    return CONVERTERS[field_def["type"]](field_def, value, context)


_REPEATED = frozenset({str, int, float, bool, date, datetime})  # cells a column repeats, hashable
MEMO = 4096  # distinct cells remembered per column


def column_converter(field_def: Mapping[str, Any], context: Context) -> Callable[[Any], Any]:
    """``convert`` for one column of one import run: the field's converter bound once, and each short cell's
    result (or its CellError) remembered, since a column repeats its options, users, dates and relations.
    Lists and dicts (multi-selects, amounts with a currency) are given out as copies."""
    convert_cell = CONVERTERS[field_def["type"]]
    memo: dict[tuple[type, Any], Any] = {}

    def run(value: Any) -> Any:
        if value is None or value == "":
            return None
        kind = type(value)
        if kind not in _REPEATED or kind is str and len(value) > 64:
            return None if is_blank(value) else convert_cell(field_def, value, context)
        # -0.0 == 0.0 (and hashes alike) but converts to "-0": a float is remembered by its exact bits
        key = (kind, value.hex()) if kind is float else (kind, value)
        found = memo.get(key, memo)
        if found is memo:
            try:
                found = None if is_blank(value) else convert_cell(field_def, value, context)
            except CellError as exc:
                found = exc
            if len(memo) < MEMO:
                memo[key] = found
        if isinstance(found, CellError):
            raise CellError(str(found), found.code, **found.params)
        if isinstance(found, list | dict):
            return type(found)(found)
        return found
    return run


def _number_text(value: float) -> str:
    # 15 significant digits: what a double holds exactly; drops binary noise such as 0.30000000000000004
    text = format(value, ".15g")
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


@converter("text", "long_text", "email", "url")
def to_text(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a number", "cast_number", value=str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(_number_text(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")  # accounting style (1,234.00)
    text = CURRENCY.sub("", text.strip("()")).strip()
    percent = text.endswith("%")
    text = text.rstrip("%").replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"'{value}' is not a number", "cast_number", value=str(value)) from None
    if not number.is_finite():
        raise CellError(f"'{value}' is not a number", "cast_number", value=str(value))
    number = -number if negative else number
    return number / 100 if percent else number


@converter("integer")
def to_integer(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise CellError(f"'{value}' is not a whole number", "cast_integer", value=str(value))
    return int(number)


def _amount_in(field_def: Mapping[str, Any], value: Any) -> dict[str, str]:
    """A per-record-currency cell, "1200.50 USD" or "USD 1,200.50" (what the export writes): the amount
    and its code, which must be one of the field's; a cell without a code is refused, never guessed."""
    codes = field_def["currencies"]
    found = re.fullmatch(r"\s*(?:([A-Z]{3})\s*)?(.*?)(?:\s*([A-Z]{3}))?\s*", str(value))
    code = found and (found.group(1) or found.group(3))
    if not found or not code or (found.group(1) and found.group(3)):
        raise CellError(f"'{value}' needs its currency, such as '1200.50 {codes[0]}' (one of {', '.join(codes)})",
                        "cast_currency", value=str(value), options=codes)
    if code not in codes:
        raise CellError(f"'{value}': {code} is not one of {', '.join(codes)}", "cast_currency", value=str(value),
                        options=codes)
    return {"amount": to_decimal({**field_def, "currencies": None}, found.group(2), Context()), "currency": code}


# What a cell's currency mark can mean: a field of another currency refuses it rather than keep the number
# and drop the currency ("USD 100" is not 100 CNY).
SYMBOLS = {"$": {"USD", "HKD", "SGD", "AUD", "CAD", "NZD", "TWD", "MXN"}, "¥": {"CNY", "JPY"},
           "￥": {"CNY", "JPY"}, "元": {"CNY"}, "€": {"EUR"}, "£": {"GBP"}}
CODE = re.compile(r"^([A-Za-z]{3})\s*[-+(\d.,]|[\d.,)]\s*([A-Za-z]{3})$")


def _check_currency(field_def: Mapping[str, Any], value: Any) -> None:
    own = field_def.get("currency")
    if field_def["type"] != "money" or not own or not isinstance(value, str):
        return
    text = value.replace("\u00a0", " ").strip().strip("()").lstrip("-+").strip()
    code = CODE.search(text)
    named = {(code.group(1) or code.group(2)).upper()} if code else None
    for symbol, codes in SYMBOLS.items():
        if named is None and (text.startswith(symbol) or text.endswith(symbol)):
            named = codes
    if named is not None and own not in named:
        raise CellError(f"'{value}' is not in {own}, the field's currency", "cast_currency", value=value,
                        options=[own])


@converter("decimal", "money")
def to_decimal(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if field_def.get("currencies"):
        return _amount_in(field_def, value)
    _check_currency(field_def, value)
    number = _decimal(value)
    scale = int(field_def.get("scale", 2 if field_def["type"] == "money" else 4))
    if number != number.quantize(Decimal(1).scaleb(-scale)):
        raise CellError(f"'{value}' has more than {scale} decimal places")
    return format(number.quantize(Decimal(1).scaleb(-scale)), "f")


@converter("boolean")
def to_boolean(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(f"'{value}' is not yes or no (true/false, yes/no, y/n, 1/0, 是/否)", "cast_boolean",
                    value=str(value))


def _serial(value: float) -> datetime:
    if not 1 <= value < 2958466:  # 9999-12-31
        raise CellError(f"{_number_text(value)} is not an Excel date serial")
    return datetime.combine(EXCEL_EPOCH, time()) + timedelta(days=value)


def _calendar(year: str, month: str, day: str, value: Any) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(f"'{value}' is not a date on the calendar") from None


@converter("date")
def to_date(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if isinstance(value, datetime):
        if value.time() != time():
            raise CellError(f"'{value.isoformat(' ')}' has a time of day; the field holds a date")
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = _serial(float(value))
        if moment.time() != time():
            raise CellError(f"{value} is a date with a time of day; the field holds a date")
        return moment.date().isoformat()
    text = str(value).strip()
    match = DATE_TEXT.match(text)
    if match:
        return _calendar(*match.groups(), value).isoformat()
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):
        return to_date(field_def, float(text), context)
    raise CellError(f"'{value}' is not a date (2026-03-05, 2026/3/5, 2026年3月5日 or an Excel date)", "cast_date",
                    value=str(value))


@converter("datetime")
def to_datetime(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _serial(float(value)).replace(microsecond=0)
    else:
        text = str(value).strip()
        match = DATETIME_TEXT.match(text)
        if not match:
            raise CellError(f"'{value}' is not a date and time (2026-03-05 14:30, 2026/3/5 14:30:00, "
                            "ISO 8601 or an Excel date)", "cast_datetime", value=str(value))
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        day_of = _calendar(year, month, day, value)
        try:
            moment = datetime.combine(day_of, time(int(hour or 0), int(minute or 0), int(second or 0),
                                                   int((fraction or "0").ljust(6, "0"))))
        except ValueError:
            raise CellError(f"'{value}' is not a time of day") from None
        if zone:
            offset = datetime.fromisoformat(f"2000-01-01T00:00:00{'+00:00' if zone.upper() == 'Z' else zone}")
            moment = moment.replace(tzinfo=offset.tzinfo)
    # A spreadsheet time has no zone: it is read in the import's time zone (options.timezone, UTC if none)
    # and stored in UTC, BOMS's storage convention (README says so).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=context.zone)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _option(field_def: Mapping[str, Any], value: Any) -> str:
    text = to_text(field_def, value, Context()).strip()
    folded = text.casefold()
    for option in field_def.get("options", []):
        if option["value"] == text:
            return option["value"]
    for option in field_def.get("options", []):
        if folded in (option["value"].casefold(), option["label"]["en"].casefold(), option["label"]["zh"].casefold()):
            return option["value"]
    shown = ", ".join(o["label"]["en"] for o in field_def.get("options", [])[:10])
    raise CellError(f"'{text}' is not one of the options ({shown}{', ...' if len(field_def['options']) > 10 else ''})",
                    "cast_choice", value=text, options=[o["label"]["en"] for o in field_def.get("options", [])[:10]])


@converter("select")
def to_select(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    return _option(field_def, value)


@converter("multi_select")
def to_multi_select(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    parts = [p for p in SPLIT.split(to_text(field_def, value, context)) if p]
    chosen: list[str] = []
    for part in parts:
        option = _option(field_def, part)
        if option not in chosen:
            chosen.append(option)
    return chosen


@converter("user")
def to_user(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    text = to_text(field_def, value, context)
    name = context.users.get(text.casefold())
    if name is None:
        raise CellError(f"no active user '{text}' (give the user name or display name)", "cell_unknown_user",
                        value=text)
    return name


def _record_id(field_def: Mapping[str, Any], value: Any, context: Context) -> int | None:
    """The id a cell (or one name of a multi-record cell) names, or None when no record has it."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    text = to_text(field_def, value, context)
    found = context.relations.get(field_def["key"], {}).get(text.casefold())
    if found is None and text.isdigit():
        return int(text)
    return found


@converter("relation")
def to_relation(field_def: Mapping[str, Any], value: Any, context: Context) -> Any:
    """A related record by a unique text field of its type (an order's customer by its code or name), or
    by its id (a whole number). A relation to many takes several, separated as multi-selects are
    (``A-1, A-2``; ``,;，；、|``): every name the target type does not have is named in the cell's error."""
    if field_def.get("multiple"):
        parts = [value] if isinstance(value, int | float) and not isinstance(value, bool) else \
            [p for p in SPLIT.split(to_text(field_def, value, context)) if p]
        ids: list[int] = []
        unknown: list[str] = []
        for part in parts:
            found = _record_id(field_def, part, context)
            if found is None:
                unknown.append(str(part))
            elif found not in ids:
                ids.append(found)
        if unknown:
            listed = "', '".join(unknown)
            raise CellError(f"no {field_def['target']} record{'s' if len(unknown) > 1 else ''} "
                            f"'{listed}' (give values of one of its unique fields, or ids, separated "
                            "by commas)", "cell_unknown_records", value="”, “".join(unknown),
                            target=field_def["target"])
        return ids
    found = _record_id(field_def, value, context)
    if found is None:
        text = to_text(field_def, value, context)
        raise CellError(f"no {field_def['target']} record '{text}' (give a value of one of its unique fields, "
                        "or its id)", "cell_unknown_record", value=text, target=field_def["target"])
    return found
