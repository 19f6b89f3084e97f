"""What the staff pages say about errors, in the reader's language.

The services and the validator speak English (the API's language, kept unchanged); the pages say the
same things from the error's code and data instead of passing the English text through:
- form messages carry a code and parameters (server/forms/validation.py's ``FieldMessage``);
- domain errors are told apart by type (server/errors.py); a conflict on a task is explained from the
  task's state as it is now, which is also what the user needs to know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_decimal, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from server.errors import (
    BadRequest,
    BomsError,
    Conflict,
    EngineError,
    Forbidden,
    FormInvalid,
    NotFound,
    PayloadTooLarge,
    StateUnreadable,
    Unauthorized,
)
from server.events import InstanceStatus, TaskStatus
from server.forms.schema import parse_form_date
from server.inbox import bp
from server.models import HumanTask, ProcessInstance

# Statuses of tasks and instances, as the pages name them.
STATUS_WORDS: dict[str, Any] = {
    "open": _l("open"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "running": _l("running"),
    "error": _l("stopped by an error"),
    "suspended": _l("suspended"),
}
TYPE_WORDS: dict[str, Any] = {
    "string": _l("text"),
    "integer": _l("an integer"),
    "number": _l("a number"),
    "boolean": _l("true or false"),
    "object": _l("an object"),
    "array": _l("a list"),
    "null": _l("null"),
}
FORMAT_WORDS: dict[str, Any] = {
    "date": _l("a date (YYYY-MM-DD)"),
    "date-time": _l("a date and time (YYYY-MM-DDTHH:MM:SS with a time zone)"),
    "email": _l("an email address"),
    "time": _l("a time (HH:MM:SS)"),
    "uuid": _l("a UUID"),
}


@bp.app_template_filter("status_label")
def status_label(status: str | None) -> str:
    return str(STATUS_WORDS[status]) if status in STATUS_WORDS else (status or "")


def _number(value: Any) -> str:
    return format_decimal(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _date(value: Any) -> str:
    moment = parse_form_date(value) if isinstance(value, str) else value
    return format_date(moment, "medium") if isinstance(moment, date) else str(value)


def _n(value: Any) -> int:
    return value if isinstance(value, int) else 0


FIELD_TEXTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "required": lambda p: _("is required"),
    "unknown_field": lambda p: _("not a field of this form"),
    "read_only": lambda p: _("is read-only and cannot be changed"),
    "not_object": lambda p: _("the submitted values are not a set of fields"),
    "type": lambda p: _("must be %(kinds)s", kinds=_(" or ").join(
        str(TYPE_WORDS.get(t, t)) for t in p.get("types", []))),
    "enum": lambda p: _("must be one of %(options)s", options=_(", ").join(str(o) for o in p.get("options", []))),
    "format": lambda p: _("must be %(kind)s", kind=str(FORMAT_WORDS.get(p.get("format"), p.get("format")))),
    "const": lambda p: _("must be %(value)s", value=_number(p.get("value"))),
    "minLength": lambda p: ngettext("must be at least %(count)s character", "must be at least %(count)s characters",
                               _n(p.get("value")), count=format_decimal(_n(p.get("value")))),
    "maxLength": lambda p: ngettext("must be at most %(count)s character", "must be at most %(count)s characters",
                               _n(p.get("value")), count=format_decimal(_n(p.get("value")))),
    "minimum": lambda p: _("must be at least %(value)s", value=_number(p.get("value"))),
    "maximum": lambda p: _("must be at most %(value)s", value=_number(p.get("value"))),
    "exclusiveMinimum": lambda p: _("must be greater than %(value)s", value=_number(p.get("value"))),
    "exclusiveMaximum": lambda p: _("must be less than %(value)s", value=_number(p.get("value"))),
    "multipleOf": lambda p: _("must be a multiple of %(value)s", value=_number(p.get("value"))),
    "minItems": lambda p: ngettext("must have at least %(count)s item", "must have at least %(count)s items",
                               _n(p.get("value")), count=format_decimal(_n(p.get("value")))),
    "maxItems": lambda p: ngettext("must have at most %(count)s item", "must have at most %(count)s items",
                               _n(p.get("value")), count=format_decimal(_n(p.get("value")))),
    "uniqueItems": lambda p: _("must not contain duplicates"),
    "pattern": lambda p: _("must match the pattern %(pattern)s", pattern=str(p.get("value"))),
    "formatMinimum": lambda p: _("must be on or after %(date)s", date=_date(p.get("value"))),
    "formatMaximum": lambda p: _("must be on or before %(date)s", date=_date(p.get("value"))),
    "other": lambda p: _("is not valid"),
    "cast_integer": lambda p: _("“%(value)s” is not a whole number", value=p.get("value")),
    "cast_number": lambda p: _("“%(value)s” is not a number", value=p.get("value")),
    "cast_currency": lambda p: _("“%(value)s” needs one of these currencies: %(options)s",
                                 value=p.get("value"), options=", ".join(p.get("options") or ())),
    "cast_date": lambda p: _("“%(value)s” is not a date (such as 2026-03-05, 2026/3/5 or 2026年3月5日)",
                             value=p.get("value")),
    "cast_datetime": lambda p: _("“%(value)s” is not a date and time (such as 2026-03-05 14:30)",
                                 value=p.get("value")),
    "cast_boolean": lambda p: _("“%(value)s” is not yes or no (是/否, Y/N, 1/0, true/false)", value=p.get("value")),
    "cast_choice": lambda p: _("“%(value)s” is not one of %(options)s", value=p.get("value"),
                               options=_(", ").join(str(o) for o in p.get("options", []))),
    "cast_unsupported": lambda p: _("cannot be imported from a spreadsheet cell"),
    # server/records/imports/convert.py: cells naming what does not exist
    "cell_unknown_user": lambda p: _("no active user “%(value)s” (give the user name or display name)",
                                     value=p.get("value")),
    "cell_unknown_record": lambda p: _("no %(type)s record “%(value)s” (give a value of one of its unique fields, "
                                       "or its id)", type=p.get("target"), value=p.get("value")),
    "cell_unknown_records": lambda p: _("no %(type)s records “%(value)s” (give values of one of its unique fields, "
                                        "or ids, separated by commas)", type=p.get("target"), value=p.get("value")),
    # server/forms/limits.py: what no process, decision or record may hold
    "string_too_long": lambda p: FIELD_TEXTS["maxLength"](p),
    "too_many_items": lambda p: FIELD_TEXTS["maxItems"](p),
    "too_deep": lambda p: _("is nested more than %(count)s levels deep", count=_n(p.get("value"))),
    "too_large": lambda p: _("is too large: all values together may take at most %(count)s bytes",
                             count=format_decimal(_n(p.get("value")))),
    "too_many_keys": lambda p: _("must have at most %(count)s keys", count=format_decimal(_n(p.get("value")))),
    "key_too_long": lambda p: _("names must be at most %(count)s characters", count=_n(p.get("value"))),
    "nul_character": lambda p: _("must not contain NUL characters"),
    "lone_surrogate": lambda p: _("must not contain invalid Unicode characters (lone surrogates)"),
    "not_finite": lambda p: _("must be a finite number"),
    # server/records/files.py: a record's attachments
    "file_too_large": lambda p: _("“%(name)s” is larger than %(size)s MB", name=p.get("name"),
                                  size=format_decimal(round(_n(p.get("value")) / 1048576, 2))),
    "file_empty": lambda p: _("“%(name)s” is empty", name=p.get("name")),
    "file_kind": lambda p: _("“%(name)s” is not a kind of file this field takes (%(options)s)", name=p.get("name"),
                             options=_(", ").join(str(o) for o in p.get("options", []))),
    "unknown_file": lambda p: _("a file that is not on this record or not uploaded by you"),
    "duplicate_file": lambda p: _("names the same file twice"),
    # server/records/service.py, batch.py, computed.py, references.py: what the database or a formula refused
    "unique": lambda p: (_("holds the same value as row %(row)s; it must be unique", row=p["row"]) if "row" in p
                         else _("is already used by another record")),
    "formula": lambda p: _("cannot be computed on this record: %(detail)s", detail=p.get("detail", "")),
    "unknown_record": lambda p: _("no related record %(ids)s", ids=_(", ").join(
        str(i) for i in p.get("ids") or [p.get("id")])),
    "unknown_user": lambda p: _("no user %(names)s", names=_(", ").join(str(v) for v in p.get("values", []))),
    "unknown_group": lambda p: _("no group %(names)s", names=_(", ").join(str(v) for v in p.get("values", []))),
    # server/records/imports/chunks.py: rows of an import
    "import_key_empty": lambda p: _("the key “%(key)s” is empty", key=p.get("key")),
    "import_no_match": lambda p: _("no %(type)s record has %(key)s “%(value)s” to update", type=p.get("type"),
                                   key=p.get("key"), value=p.get("value")),
    "import_repeated": lambda p: _("“%(value)s” appears earlier in the file; %(key)s must be unique",
                                   value=p.get("value"), key=p.get("key")),
    "import_taken": lambda p: _("is already used by another record; %(key)s must be unique", key=p.get("key")),
    "import_forbidden": lambda p: _("you may not import this row with these fields or values"),
    "batch_conflict": lambda p: _("the database refused these rows (a related record was deleted meanwhile?); "
                                  "nothing of them was written"),
}


def field_message(message: str) -> str:
    """One validation message in the current language, without the field's path (shown beside the field).

    A message without a code (from an older caller) is shown as it came."""
    code = getattr(message, "code", None)
    if code not in FIELD_TEXTS:
        return str(message)
    return FIELD_TEXTS[code](getattr(message, "params", {}))


def problem_text(problem: Mapping[str, Any]) -> str:
    """One wrong cell or row of an import (server/records/imports/chunks.py) in the current language; a
    problem without a known code is shown in the English it was stored in."""
    code = problem.get("code")
    if code not in FIELD_TEXTS:
        return str(problem.get("message", ""))
    text = FIELD_TEXTS[code](dict(problem.get("params") or {}))
    return f"{problem['field']}: {text}" if problem.get("field") else text


def field_messages(errors: Mapping[str, str]) -> dict[str, str]:
    return {path: field_message(message) for path, message in errors.items()}


def engine_text(exc: EngineError) -> str:
    element = exc.details.get("element")
    if element:
        return _("The process could not continue at step “%(element)s”. Its history has the details; "
                 "an administrator can fix the model or the data and retry.", element=element)
    return _("The process could not continue. Its history has the details; an administrator can fix the "
             "model or the data and retry.")


def error_text(exc: BomsError) -> str:
    """A domain error as a page says it: by its type, never the service's English text."""
    if isinstance(exc, Forbidden):
        return _("You may not see or do this.")
    if isinstance(exc, NotFound):
        return _("This does not exist (any more).")
    if isinstance(exc, StateUnreadable):
        return _("The saved state of this process cannot be read, so it cannot go on. An administrator can "
                 "cancel it or correct its data.")
    if isinstance(exc, Conflict):
        return _("Someone else changed this at the same moment. Reload the page and try again.")
    if isinstance(exc, EngineError):
        return engine_text(exc)
    if isinstance(exc, FormInvalid):
        return _("Please correct the marked fields.")
    if isinstance(exc, PayloadTooLarge):
        return _("The upload is too large.")
    if isinstance(exc, Unauthorized):
        return _("Please log in to access this page.")
    if isinstance(exc, BadRequest):
        return _("The request was not valid.")
    return _("The request could not be carried out.")


def task_conflict_text(session: Session, username: str, task_id: str) -> str:
    """Why an action on a task lost a race, from the task's state as it is now."""
    task = session.get(HumanTask, task_id)
    if task is None:
        return _("This does not exist (any more).")
    if task.status != TaskStatus.OPEN:
        return _("This task is already %(status)s.", status=status_label(task.status))
    instance = session.get(ProcessInstance, task.instance_id)
    if instance is not None and instance.status != InstanceStatus.RUNNING:
        return _("The process is %(status)s.", status=status_label(instance.status))
    if task.assignee and task.assignee != username:
        return _("This task is already claimed by %(who)s.", who=task.assignee)
    return _("Someone else changed this task at the same moment. Reload the page and try again.")


@bp.app_template_filter("time_left")
def time_left(due: datetime | None, now: datetime) -> str:
    """"2 days left" / "3 hours overdue", in the reader's language (both naive UTC)."""
    if due is None:
        return ""
    delta = due - now
    span = format_timedelta(abs(delta), threshold=1.5)
    return _("%(span)s left", span=span) if delta.total_seconds() >= 0 else _("%(span)s overdue", span=span)
