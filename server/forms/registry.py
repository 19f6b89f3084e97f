"""The field-type registry: one object per kind of form field, found by name, Camunda type or schema.

A field type knows four things about its kind of field, so nothing else branches on types:
- its JSON Schema fragment (from a ``camunda:formField``; SpiffArena forms are JSON Schema already),
  and how a Camunda default and ``min``/``max`` config become typed values (server/forms/schema.py);
- its HTML widget: the widget name the form template draws (server/templates/inbox/_form.html), or a
  macro of its own (``macro = "template.html:macro_name"``) for a type the template does not know;
- how to read a submitted HTML form value (strings to typed values; what cannot be read stays text so
  the one validator names it, server/forms/validation.py);
- how to cast an imported spreadsheet cell (``cast``: typed value, or ``CastError`` with a message code).

Adding a type is one registration::

    @register
    class PhoneField(TextField):
        name = "phone"
        order = 85                       # asked before plain text (1000)
        def recognises(self, prop): return prop.get("format") == "phone"

Types are asked in ``order`` (lowest first) which of them a schema property is; the first that
recognises it wins, and plain text (the last) recognises everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from typing import Any, ClassVar, TypeVar

from werkzeug.datastructures import MultiDict

__all__ = ["CastError", "FieldType", "all_types", "cast_values", "for_camunda", "get", "of", "register"]


class CastError(ValueError):
    """A spreadsheet cell that does not fit its field: ``code`` and ``params`` say why, as form messages do
    (server/forms/validation.py ``english``; the pages translate the same codes)."""

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        super().__init__(code)


class FieldType:
    """The behaviour every field type shares; subclasses override what differs for their kind."""

    name: ClassVar[str] = ""
    #: the ``camunda:formField`` type this is (``long``, ``date``, ...), if Camunda has it
    camunda_type: ClassVar[str | None] = None
    #: recognition order: lower is asked first
    order: ClassVar[int] = 500
    #: may be a cell of a table of rows
    cell: ClassVar[bool] = True
    #: its value comes from an upload (request.files), not from the form's text inputs
    uploaded: ClassVar[bool] = False
    #: "template.html:macro" drawing the field; None: the form template's own widget named by ``widget``
    macro: ClassVar[str | None] = None

    # --- JSON Schema ---------------------------------------------------------------------------------

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        """Whether a schema property (any source: Camunda, SpiffArena, a record type) is of this type."""
        return False

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON Schema of a ``camunda:formField`` of this type (without title, default, validations);
        ValueError names what is wrong with the field."""
        return {"type": "string"}

    def default(self, raw: str, prop: Mapping[str, Any]) -> Any:
        """A Camunda default (always text) as the typed value; ValueError("is not ...") if it cannot be."""
        return raw

    #: the schema keywords ``min`` and ``max`` validations become; None: they do not apply
    bound_keywords: ClassVar[tuple[str, str] | None] = None

    def bound(self, raw: str) -> Any:
        """A ``min``/``max`` config value as typed; ValueError("is not ...") if it cannot be."""
        raise ValueError("does not apply")

    # --- HTML --------------------------------------------------------------------------------------

    def widget(self, name: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
        return self.name

    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        """Input attributes beyond the schema's length and value bounds."""
        return {}

    def shown(self, value: Any, attrs: dict[str, Any]) -> Any:
        """A stored value as its input shows it (may add attributes, such as the instant of a datetime)."""
        return value

    # --- a submitted HTML form ---------------------------------------------------------------------

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        """(given, value) of the input named ``key``; an empty text input is not given."""
        raw = form.get(key, "").strip()
        if raw == "":
            return False, None
        return True, self.from_text(raw, prop, form)

    def from_text(self, raw: str, prop: Mapping[str, Any], form: MultiDict[str, str]) -> Any:
        """A non-empty input as typed; what cannot be read is returned as it came, for the validator."""
        return raw

    def always_given(self, prop: Mapping[str, Any]) -> bool:
        """An input that sends nothing still means a value (an unticked checkbox means false)."""
        return False

    def clean(self, prop: Mapping[str, Any], value: Any) -> Any:
        """A valid value as stored (after the validator accepted it)."""
        return value

    # --- an imported spreadsheet cell --------------------------------------------------------------

    def cast(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo = UTC) -> Any:
        """A cell as calamine or openpyxl reads it (str, int, float, bool, date, datetime, None) as the
        field's value; None for an empty cell. ``zone``: the zone of wall times without one."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        return self.from_cell(prop, cell.strip() if isinstance(cell, str) else cell, zone)

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        raise CastError("cast_unsupported", {"type": self.name})


_T = TypeVar("_T", bound=type[FieldType])
_BY_NAME: dict[str, FieldType] = {}
_BY_CAMUNDA: dict[str, FieldType] = {}
_ORDERED: list[FieldType] = []


def register(cls: _T) -> _T:
    """Class decorator: make ``cls`` (one instance of it) the field type called ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _BY_NAME and type(_BY_NAME[cls.name]) is not cls:
        raise ValueError(f"field type {cls.name!r} is already registered by {type(_BY_NAME[cls.name]).__name__}")
    instance = cls()
    _BY_NAME[cls.name] = instance
    if cls.camunda_type:
        _BY_CAMUNDA[cls.camunda_type] = instance
    _ORDERED[:] = sorted(_BY_NAME.values(), key=lambda t: (t.order, t.name))
    return cls


def unregister(name: str) -> None:
    """Remove a type (tests that register one of their own clean up with this)."""
    instance = _BY_NAME.pop(name)
    for key in [k for k, v in _BY_CAMUNDA.items() if v is instance]:
        del _BY_CAMUNDA[key]
    _ORDERED.remove(instance)


def _loaded() -> None:
    # The families register themselves when imported; importing here keeps every lookup complete.
    import server.forms.fields  # noqa: F401


def get(name: str) -> FieldType:
    _loaded()
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no field type {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None


def all_types() -> list[FieldType]:
    _loaded()
    return list(_ORDERED)


def for_camunda(camunda_type: str) -> FieldType | None:
    """The type of a ``camunda:formField type="..."``; None for a type Camunda has and BOMS does not."""
    _loaded()
    return _BY_CAMUNDA.get(camunda_type)


def of(prop: Mapping[str, Any]) -> FieldType:
    """The type of a JSON Schema property: the first, in order, that recognises it."""
    _loaded()
    for field_type in _ORDERED:
        if field_type.recognises(prop):
            return field_type
    raise LookupError("no field type recognises this property")  # text recognises everything


def cast_values(schema: Mapping[str, Any], cells: Mapping[str, Any], zone: tzinfo = UTC,
                on_error: Callable[[str, CastError], None] | None = None) -> dict[str, Any]:
    """One imported row as typed values for the schema's fields (empty cells left out).

    A cell that does not fit, or a column that is no field (code ``unknown_field``), is handed to
    ``on_error(field, error)`` and left out; without ``on_error`` the first such cell raises."""
    props = schema.get("properties") or {}
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        prop = props.get(name)
        try:
            if not isinstance(prop, Mapping):
                raise CastError("unknown_field")
            value = of(prop).cast(prop, cell, zone)
        except CastError as exc:
            if on_error is None:
                raise
            on_error(name, exc)
            continue
        if value is not None:
            values[name] = value
    return values
