"""Dates (``YYYY-MM-DD``) and date-times (a UTC instant; the browser's datetime-local input is wall time)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.datastructures import MultiDict

from server.forms.registry import CastError, FieldType, register

_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Camunda Modeler's default date pattern; accepting it spares modellers a rewrite.
_CAMUNDA_DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$", re.ASCII)
# What a datetime-local input sends: no zone. Anything else is passed on for the validator to judge.
LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
# Hidden inputs that timezone.js fills with the browser's zone (IANA name) and its UTC offset in minutes
# (as JavaScript's getTimezoneOffset gives it: UTC minus local). Without JavaScript, times are UTC.
TZ_FIELD = "boms-tz"
TZ_OFFSET_FIELD = "boms-tz-offset"
MAX_OFFSET_MINUTES = 14 * 60

# Spreadsheet dates as people type them: 2026-3-5, 2026/3/5, 2026.3.5, 2026年3月5日 (or 号), with an
# optional time 14:30[:15] or 14时30分[15秒].
_CELL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_CELL_DATE_TIME = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*[T\s]?\s*"
                             r"(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2}(?:\.\d+)?)?\s*秒?)?$")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included); 2958465 is 9999-12-31.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_LAST = 2958465


def parse_form_date(value: str) -> date | None:
    """Parse an ISO ``YYYY-MM-DD`` or Camunda ``dd/MM/yyyy`` date; None if neither."""
    text = value.strip()
    try:
        if _ISO_DATE_RE.match(text):
            return date.fromisoformat(text)
        if _CAMUNDA_DATE_RE.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None
    return None


def submitted_zone(form: Mapping[str, str]) -> tzinfo:
    """The zone the browser's datetime-local inputs are in: its IANA name, else its offset, else UTC."""
    name = (form.get(TZ_FIELD) or "").strip()
    if name and len(name) < 64 and ".." not in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = (form.get(TZ_OFFSET_FIELD) or "").strip()
    if re.fullmatch(r"-?\d{1,4}", offset) and abs(int(offset)) <= MAX_OFFSET_MINUTES:
        return timezone(-timedelta(minutes=int(offset)))
    return UTC


def utc_text(moment: datetime) -> str:
    """An aware instant as BOMS stores it: UTC, seconds (and microseconds if any), ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond:06d}" if moment.microsecond else "") + "Z"


def _utc_instant(raw: str, zone: tzinfo) -> str:
    """A datetime-local value (wall time in ``zone``) as the UTC instant BOMS stores."""
    local = datetime.fromisoformat(raw if len(raw) > 16 else raw + ":00")
    # fold=0: of a wall time that occurs twice (clocks going back), the first; ZoneInfo resolves gaps too.
    return utc_text(local.replace(tzinfo=zone))


def _is_zoned(value: Any) -> bool:
    if not isinstance(value, str) or len(value) <= 16:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _datetime_local(value: Any) -> Any:
    """A stored date-time (UTC, with a zone) as the datetime-local input shows it: ``YYYY-MM-DDTHH:MM``."""
    if not isinstance(value, str) or len(value) <= 16:
        return value  # empty, or already what the input sent
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # what the user typed, kept so the message beside it makes sense
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _excel_serial(cell: Any) -> datetime | None:
    if isinstance(cell, bool) or not isinstance(cell, int | float) or not 1 <= cell <= _EXCEL_LAST:
        return None
    # Excel keeps times as fractions of a day; to the second is what its cells show.
    return _EXCEL_EPOCH + timedelta(seconds=round(float(cell) * 86_400))


def _cell_moment(cell: Any, code: str) -> datetime:
    """A cell as a wall time (no zone) or an aware instant; CastError ``code`` if it is no date."""
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return datetime.combine(cell, datetime.min.time())
    serial = _excel_serial(cell)
    if serial is not None:
        return serial
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    try:
        if (match := _CELL_DATE.match(text)) is not None:
            return datetime(*(int(g) for g in match.groups()))
        if (match := _CELL_DATE_TIME.match(text)) is not None:
            y, mo, d, h, mi, s = match.groups()
            seconds = float(s or 0)
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(seconds),
                            round((seconds % 1) * 1_000_000))
        camunda = parse_form_date(text)
        if camunda is not None:
            return datetime.combine(camunda, datetime.min.time())
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise CastError(code, {"value": str(cell)}) from None


@register
class DateField(FieldType):
    name = "date"
    camunda_type = "date"
    order = 80
    bound_keywords = ("formatMinimum", "formatMaximum")

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "date"

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def default(self, raw: str, prop: Mapping[str, Any]) -> Any:
        return self.bound(raw)

    def bound(self, raw: str) -> Any:
        parsed = parse_form_date(raw)
        if parsed is None:
            raise ValueError("is not a date (YYYY-MM-DD)")
        return parsed.isoformat()

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        moment = _cell_moment(cell, "cast_date")
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone).replace(tzinfo=None)
        # A time of day in a date column would be dropped without a word: refuse it instead.
        if moment.time() != datetime.min.time():
            raise CastError("cast_date", {"value": str(cell)})
        return moment.date().isoformat()


@register
class DateTimeField(FieldType):
    name = "datetime"
    order = 82

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "date-time"

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def shown(self, value: Any, attrs: dict[str, Any]) -> Any:
        if _is_zoned(value):
            # A stored instant: timezone.js shows it in the browser's zone (the UTC value is the fallback).
            attrs["data-utc"] = value
        return _datetime_local(value)

    def from_text(self, raw: str, prop: Mapping[str, Any], form: MultiDict[str, str]) -> Any:
        if not LOCAL_DATE_TIME.match(raw):
            return raw
        # datetime-local has no zone (and seconds only with a step): it is the browser's wall time.
        try:
            return _utc_instant(raw, submitted_zone(form))
        except ValueError:
            return raw  # 2026-02-30T10:00: left for the validator to name

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        moment = _cell_moment(cell, "cast_datetime")
        return utc_text(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone))
