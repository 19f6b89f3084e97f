"""server/forms/render.py: JSON Schema → field descriptors, and an HTML POST → typed variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from server.forms.render import Field, fields, parse_submission, shown_again
from server.forms.schema import schema_from_camunda_fields
from server.forms.validation import FormValidationError, validate_submission

SPIFF = Path(__file__).parent.parent / "fixtures" / "spiff"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "amount", "color"],
    "x-order": ["title", "amount", "color", "size"],
    "properties": {
        # Listed out of x-order on purpose: the modeler's order wins over the dict's.
        "size": {"type": "string", "title": "Size", "enum": ["s", "m", "l", "xl"],
                 "x-enumNames": ["Small", "Medium", "Large", "Huge"]},
        "color": {"type": "string", "title": "Colour", "enum": ["red", "green"]},
        "amount": {"type": "integer", "title": "Amount", "minimum": 1, "maximum": 100},
        "title": {"type": "string", "title": "Title", "minLength": 3, "maxLength": 40,
                  "description": "A short title", "x-properties": {"placeholder": "e.g. Laptop"}},
        "notes": {"type": "string"},  # not in x-order: comes last, labelled by its name
        "reference": {"type": "string", "title": "Reference", "readOnly": True, "default": "REF-1"},
    },
}


def by_name(schema: dict[str, Any], **kw: Any) -> dict[str, Field]:
    return {f.name: f for f in fields(schema, **kw)}


def one(prop: dict[str, Any], name: str = "x", ui: dict[str, Any] | None = None) -> Field:
    [f] = fields({"type": "object", "properties": {name: prop}}, ui_schema={name: ui} if ui else None)
    return f


# --- field descriptors -----------------------------------------------------------------------------


def test_fields_follow_x_order_then_the_rest() -> None:
    assert [f.name for f in fields(SCHEMA)] == ["title", "amount", "color", "size", "notes", "reference"]


def test_without_x_order_the_properties_order_is_kept() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "string"}}}
    assert [f.name for f in fields(schema)] == ["b", "a"]


def test_no_schema_no_fields() -> None:
    assert fields(None) == [] and fields({}) == []


def test_descriptor_carries_label_required_constraints_and_help() -> None:
    f = by_name(SCHEMA)
    assert (f["title"].label, f["title"].required, f["title"].widget) == ("Title", True, "text")
    assert f["title"].attrs == {"minlength": 3, "maxlength": 40, "placeholder": "e.g. Laptop"}
    assert f["title"].help == "A short title"
    assert f["amount"].attrs == {"min": 1, "max": 100}
    assert f["notes"].label == "notes" and not f["notes"].required


def test_read_only_shows_its_value_and_is_never_required() -> None:
    schema = {**SCHEMA, "required": [*SCHEMA["required"], "reference"]}
    ref = by_name(schema)["reference"]
    assert ref.readonly and not ref.required and ref.value == "REF-1"


def test_enum_options_carry_their_names() -> None:
    f = by_name(SCHEMA)
    assert f["size"].options == [("s", "Small"), ("m", "Medium"), ("l", "Large"), ("xl", "Huge")]
    assert f["color"].options == [("red", "red"), ("green", "green")]  # no x-enumNames: the id


@pytest.mark.parametrize(("prop", "ui", "widget"), [
    ({"type": "string"}, None, "text"),
    ({"type": "string", "maxLength": 201}, None, "textarea"),
    ({"type": "string", "maxLength": 200}, None, "text"),
    ({"type": "string", "x-properties": {"widget": "textarea"}}, None, "textarea"),
    ({"type": "string"}, {"ui:widget": "textarea"}, "textarea"),
    ({"type": "integer"}, None, "number"),
    ({"type": "number"}, None, "number"),
    ({"type": "number", "x-properties": {"format": "money"}}, None, "money"),
    ({"type": "integer"}, {"ui:widget": "money"}, "money"),
    ({"type": "boolean"}, None, "checkbox"),
    ({"type": "string", "format": "date"}, None, "date"),
    ({"type": "string", "format": "date-time"}, None, "datetime"),
    ({"type": "string", "format": "email"}, None, "email"),
    ({"type": "string", "enum": ["a", "b", "c"]}, None, "radio"),
    ({"type": "string", "enum": ["a", "b", "c", "d"]}, None, "select"),
    ({"type": "string", "enum": ["a", "b", "c", "d"]}, {"ui:widget": "radio"}, "radio"),
    ({"type": "string", "enum": ["a", "b"], "x-properties": {"widget": "select"}}, None, "select"),
    ({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}, None, "multiselect"),
    ({"type": "object", "properties": {}}, None, "unsupported"),
    ({"type": "array", "items": {"type": "array", "items": {"type": "string"}}}, None, "unsupported"),
])
def test_widgets(prop: dict[str, Any], ui: dict[str, Any] | None, widget: str) -> None:
    assert one(prop, ui=ui).widget == widget


def test_number_inputs_get_a_step_so_browsers_accept_decimals() -> None:
    assert one({"type": "number"}).attrs == {"step": "any"}
    assert one({"type": "number", "x-properties": {"format": "money"}}).attrs == {"step": "0.01"}
    assert one({"type": "integer"}).attrs == {}


def test_a_comment_field_is_a_text_area() -> None:
    assert one({"type": "string"}, name="managerComment").widget == "textarea"


def test_decision_field_by_flag_or_by_name() -> None:
    enum = {"type": "string", "enum": ["approve", "reject"]}
    assert one(enum, name="managerDecision").decision
    assert one({**enum, "x-properties": {"decision": "true"}}, name="outcome").decision
    assert not one(enum, name="outcome").decision
    assert not one({"type": "string"}, name="managerDecision").decision  # no options, no buttons


def test_values_and_messages_come_back() -> None:
    f = by_name(SCHEMA, values={"title": "ab", "amount": "lots"},
                errors={"title": "title: must be at least 3 characters", "amount": "must be an integer"})
    assert f["title"].value == "ab" and f["title"].error == "must be at least 3 characters"
    assert f["amount"].value == "lots" and f["amount"].error == "must be an integer"
    assert f["color"].error is None


def test_a_stored_date_time_fits_the_datetime_local_input() -> None:
    # A datetime-local input shows nothing for a value with a zone: it gets the UTC minutes.
    prop = {"type": "string", "format": "date-time"}
    assert one({**prop, "default": "2026-03-01T09:30:00Z"}).value == "2026-03-01T09:30"
    assert one({**prop, "default": "2026-03-01T10:30:00+01:00"}).value == "2026-03-01T09:30"
    assert one({**prop, "default": "not a date"}).value == "not a date"


def test_spiff_schema_with_ui_schema() -> None:
    schema = json.loads((SPIFF / "approval-schema.json").read_text())
    ui = json.loads((SPIFF / "approval-uischema.json").read_text())
    f = {x.name: x for x in fields(schema, ui_schema=ui)}
    assert f["approved"].widget == "checkbox" and f["approved"].required
    assert f["comment"].widget == "textarea" and f["comment"].attrs["placeholder"] == "Why?"


def test_camunda_fields_render() -> None:
    schema = schema_from_camunda_fields([
        {"id": "when", "label": "When", "type": "date"},
        {"id": "ok", "label": "OK", "type": "boolean", "default": "true"},
        {"id": "choice", "label": "Choice", "type": "enum",
         "enum": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]},
    ])
    f = {x.name: x for x in fields(schema)}
    assert (f["when"].widget, f["ok"].widget, f["ok"].value, f["choice"].widget) == ("date", "checkbox", True,
                                                                                      "radio")


# --- parsing a submission --------------------------------------------------------------------------

TYPES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "price": {"type": "number"},
        "urgent": {"type": "boolean"},
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
        "note": {"type": "string"},
        "reference": {"type": "string", "readOnly": True},
    },
}


def parse(**form: Any) -> dict[str, Any]:
    pairs = [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
    return parse_submission(TYPES, MultiDict(pairs))


def test_strings_become_typed_values() -> None:
    assert parse(count="8000", price="12.5", urgent="on", day="2026-03-01", at="2026-03-01T09:30",
                 tags=["a", "c"], note=" hi ") == {
        "count": 8000, "price": 12.5, "urgent": True, "day": "2026-03-01", "at": "2026-03-01T09:30:00Z",
        "tags": ["a", "c"], "note": "hi"}


def test_integral_decimal_is_an_integer() -> None:
    assert parse(count="3.0")["count"] == 3


def test_unreadable_numbers_stay_strings_for_the_validator() -> None:
    assert parse(count="abc", price="1,5") == {"count": "abc", "price": "1,5", "urgent": False}
    assert parse(count="2.5")["count"] == "2.5"


def test_an_absent_checkbox_is_false_and_empty_optionals_are_absent() -> None:
    assert parse(count="", note="   ", day="") == {"urgent": False}


def test_date_time_with_seconds_or_a_zone() -> None:
    assert parse(at="2026-03-01T09:30:15")["at"] == "2026-03-01T09:30:15Z"
    assert parse(at="2026-03-01T09:30:00+02:00")["at"] == "2026-03-01T09:30:00+02:00"
    assert parse(at="2026-03-01T09:30:00Z")["at"] == "2026-03-01T09:30:00Z"
    assert parse(at="tomorrow")["at"] == "tomorrow"  # left for the validator to report


def test_read_only_and_unknown_inputs_are_ignored() -> None:
    result = parse(reference="forged", csrf_token="t", businessKey="PR-1")
    assert result == {"urgent": False}


def test_no_multi_select_choice_is_absent() -> None:
    assert "tags" not in parse()


def test_parsed_values_pass_or_fail_validation_as_the_api_does() -> None:
    schema = {**TYPES, "required": ["count"]}
    with pytest.raises(FormValidationError) as failed:
        validate_submission(schema, parse_submission(schema, MultiDict({"count": "lots"})))
    assert "must be an integer" in failed.value.errors["count"]
    with pytest.raises(FormValidationError) as missing:
        validate_submission(schema, parse_submission(schema, MultiDict({"count": ""})))
    assert "count" in missing.value.errors
    clean = validate_submission(schema, parse_submission(schema, MultiDict({"count": "7", "at": "2026-03-01T09:30"})))
    assert clean["count"] == 7 and clean["at"] == "2026-03-01T09:30:00Z"


def test_a_refused_form_comes_back_as_typed_with_every_choice() -> None:
    form = MultiDict([("count", "lots"), ("tags", "a"), ("tags", "c"), ("urgent", "on")])
    again = shown_again(parse_submission(TYPES, form), form)
    assert again["count"] == "lots" and again["tags"] == ["a", "c"]
    tags = {f.name: f for f in fields(TYPES, again)}["tags"]
    assert tags.value == ["a", "c"]


def test_no_schema_nothing_parsed() -> None:
    assert parse_submission(None, MultiDict({"a": "1"})) == {}
