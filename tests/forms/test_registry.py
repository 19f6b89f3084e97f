"""server/forms/registry.py: one object per field type, found by name, Camunda type or schema property;
adding a type is one registration and every path (schema, widget, parsing, validation, import) uses it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import tzinfo
from typing import Any

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from server.forms import registry
from server.forms.fields.text import TextField
from server.forms.registry import CastError, FieldType, register
from server.forms.render import fields, parse_submission
from server.forms.schema import schema_from_camunda_fields
from server.forms.validation import validate_submission


def test_the_built_in_types_are_registered_by_name_and_camunda_type() -> None:
    names = {t.name for t in registry.all_types()}
    assert {"text", "email", "integer", "number", "date", "datetime", "boolean", "enum", "multiselect", "file",
            "rows", "unsupported"} <= names
    assert registry.for_camunda("long") is registry.get("integer")
    assert registry.for_camunda("string") is registry.get("text")
    assert registry.for_camunda("date") is registry.get("date")
    assert registry.for_camunda("boolean") is registry.get("boolean")
    assert registry.for_camunda("enum") is registry.get("enum")
    assert registry.for_camunda("bytes") is None
    with pytest.raises(KeyError, match="no field type 'nope'"):
        registry.get("nope")


@pytest.mark.parametrize(("prop", "name"), [
    ({"type": "string"}, "text"),
    ({"type": "string", "format": "email"}, "email"),
    ({"type": "string", "format": "date"}, "date"),
    ({"type": "string", "format": "date-time"}, "datetime"),
    ({"type": "integer"}, "integer"),
    ({"type": "number"}, "number"),
    ({"type": "boolean"}, "boolean"),
    ({"type": "string", "enum": ["a"]}, "enum"),
    ({"type": "integer", "enum": [1, 2]}, "enum"),
    ({"type": "array", "items": {"type": "string", "enum": ["a"]}}, "multiselect"),
    ({"type": "string", "format": "data-url"}, "file"),
    ({"type": "object", "x-widget": "file"}, "file"),
    ({"type": "array", "items": {"type": "object", "properties": {"q": {"type": "integer"}}}}, "rows"),
    ({"type": "array", "items": {"type": "object", "properties": {"f": {"type": "string", "format": "data-url"}}}},
     "unsupported"),
    ({"type": "object"}, "unsupported"),
    ({}, "text"),
])
def test_a_property_is_the_first_type_in_order_that_recognises_it(prop: dict[str, Any], name: str) -> None:
    assert registry.of(prop).name == name


def test_a_name_cannot_be_taken_twice() -> None:
    class Other(FieldType):
        name = "text"

    with pytest.raises(ValueError, match="already registered"):
        register(Other)


class PhoneField(TextField):
    """What the records engine will do ~20 times: a type with its schema, widget, parsing and cast."""

    name = "test-phone"
    camunda_type = "test-phone"
    order = 85
    macro = "test_phone.html:phone"
    widget = FieldType.widget  # its own name, not text's text/textarea

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("format") == "test-phone"

    def fragment(self, field: Mapping[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "test-phone", "pattern": r"^\+?\d+$"}

    def from_text(self, raw: str, prop: Mapping[str, Any], form: MultiDict[str, str]) -> Any:
        return raw.replace(" ", "").replace("-", "")

    def from_cell(self, prop: Mapping[str, Any], cell: Any, zone: tzinfo) -> Any:
        text = super().from_cell(prop, cell, zone).replace(" ", "").replace("-", "")
        if not text.lstrip("+").isdigit():
            raise CastError("cast_phone", {"value": text})
        return text


@pytest.fixture
def phone() -> Iterator[type[PhoneField]]:
    register(PhoneField)
    yield PhoneField
    registry.unregister(PhoneField.name)


def test_one_registration_adds_a_type_to_every_path(phone: type[PhoneField]) -> None:
    schema = schema_from_camunda_fields([{"id": "tel", "label": "Phone", "type": "test-phone",
                                          "validation": [{"name": "required"}]}])
    assert schema["properties"]["tel"] == {"type": "string", "format": "test-phone", "pattern": r"^\+?\d+$",
                                           "title": "Phone"}
    [field] = fields(schema)
    assert (field.type, field.widget, field.macro) == ("test-phone", "test-phone", "test_phone.html:phone")
    assert parse_submission(schema, MultiDict({"tel": " 138-0013 8000 "})) == {"tel": "13800138000"}
    assert validate_submission(schema, {"tel": "13800138000"}) == {"tel": "13800138000"}
    assert registry.cast_values(schema, {"tel": 13800138000.0}) == {"tel": "13800138000"}
    with pytest.raises(CastError) as refused:
        registry.cast_values(schema, {"tel": "call me"})
    assert refused.value.code == "cast_phone"


def test_unregistered_the_type_is_gone_again() -> None:
    assert registry.of({"type": "string", "format": "test-phone"}).name == "text"
    assert registry.for_camunda("test-phone") is None


def test_a_type_with_its_own_macro_is_drawn_by_it(app: Any, phone: type[PhoneField]) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_loader = ChoiceLoader([DictLoader({"test_phone.html": (
        "{% macro phone(f, in_cell) %}<input type=\"tel\" name=\"{{ f.name }}\" data-cell=\"{{ in_cell }}\" "
        "value=\"{{ f.value or '' }}\">{% endmacro %}")}), app.jinja_loader])
    schema = {"type": "object", "properties": {
        "tel": {"type": "string", "format": "test-phone", "title": "Phone", "default": "+86 10"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "who": {"type": "string"}, "tel": {"type": "string", "format": "test-phone"}}}}}}
    with app.test_request_context():
        html = render_template_string('{% from "inbox/_form.html" import form_fields %}{{ form_fields(f) }}',
                                      f=fields(schema))
    assert '<input type="tel" name="tel" data-cell="False" value="+86 10">' in html
    assert 'name="lines-0-tel" data-cell="True"' in html  # a cell of a table of rows too
    assert 'name="lines-0-who"' in html  # the other cells keep the built-in widget


def test_validation_cleans_by_type_integers_also_inside_an_enum() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "e": {"type": "integer", "enum": [1, 2]},
                                               "x": {"type": "number"}}}
    cleaned = validate_submission(schema, {"n": 5.0, "e": 2.0, "x": 1.0})
    assert cleaned == {"n": 5, "e": 2, "x": 1.0}
    assert type(cleaned["n"]) is int and type(cleaned["e"]) is int and type(cleaned["x"]) is float


def test_an_integer_enum_is_read_as_integers_from_the_form() -> None:
    schema = {"type": "object", "properties": {"e": {"type": "integer", "enum": [1, 2]},
                                               "b": {"type": "boolean", "enum": [True]}}}
    assert parse_submission(schema, MultiDict({"e": "2"})) == {"e": 2, "b": False}
