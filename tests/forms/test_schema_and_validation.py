"""Form schema mapping (Camunda formData, SpiffArena files) and submission validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.forms.schema import FormDefinitionError, check_json_schema, schema_from_camunda_fields
from server.forms.validation import FormValidationError, validate_submission


def field(fid: str, ftype: str = "string", **extra: Any) -> dict[str, Any]:
    base = {"id": fid, "label": None, "type": ftype, "default": None, "enum": None, "validation": []}
    return {**base, "properties": {}, **extra}


def rule(name: str, config: str | None = None) -> dict[str, str | None]:
    return {"name": name, "config": config}


def errors_of(schema: dict | None, variables: object) -> dict[str, str]:
    with pytest.raises(FormValidationError) as info:
        validate_submission(schema, variables)
    return info.value.errors


# --------------------------------------------------------------------- mapping


def test_maps_every_builtin_type() -> None:
    schema = schema_from_camunda_fields(
        [
            field("name", label="Name"),
            field("qty", "long"),
            field("urgent", "boolean"),
            field("due", "date"),
            field("colour", "enum", enum=[{"id": "red", "name": "Red"}, {"id": "green", "name": "Green"}]),
        ],
        title="Order",
    )
    assert (schema["type"], schema["title"], schema["required"]) == ("object", "Order", [])
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert list(props) == ["name", "qty", "urgent", "due", "colour"]
    assert props["name"] == {"type": "string", "title": "Name"}
    assert props["qty"] == {"type": "integer", "title": "qty"}
    assert props["urgent"] == {"type": "boolean", "title": "urgent"}
    assert props["due"] == {"type": "string", "format": "date", "title": "due"}
    assert props["colour"] == {
        "type": "string",
        "title": "colour",
        "enum": ["red", "green"],
        "x-enumNames": ["Red", "Green"],
    }
    check_json_schema(schema, "generated")


def test_no_title_when_not_given() -> None:
    assert "title" not in schema_from_camunda_fields([field("a")])


def test_unknown_custom_type_becomes_string() -> None:
    prop = schema_from_camunda_fields([field("ref", "customerRef")])["properties"]["ref"]
    assert prop == {"type": "string", "x-camundaType": "customerRef", "title": "ref"}


@pytest.mark.parametrize(
    ("ftype", "raw", "expected"),
    [
        ("string", "hello", "hello"),
        ("long", "5", 5),
        ("long", "-12", -12),
        ("boolean", "true", True),
        ("boolean", "False", False),
        ("date", "2024-02-29", "2024-02-29"),
        ("date", "31/01/2024", "2024-01-31"),
        ("customerRef", "C-1", "C-1"),
    ],
)
def test_defaults_are_converted(ftype: str, raw: str, expected: object) -> None:
    prop = schema_from_camunda_fields([field("f", ftype, default=raw)])["properties"]["f"]
    assert prop["default"] == expected
    assert type(prop["default"]) is type(expected)


def test_enum_default_and_expression_default() -> None:
    schema = schema_from_camunda_fields(
        [
            field("c", "enum", default="b", enum=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]),
            field("n", "long", default="${initialQty}"),
        ]
    )
    assert schema["properties"]["c"]["default"] == "b"
    assert "default" not in schema["properties"]["n"]
    assert schema["properties"]["n"]["x-defaultExpression"] == "${initialQty}"


def test_constraints_are_mapped() -> None:
    schema = schema_from_camunda_fields(
        [
            field("reason", validation=[rule("required"), rule("minlength", "3"), rule("maxlength", "200")]),
            field("amount", "long", validation=[rule("min", "1"), rule("max", "100")]),
            field("due", "date", validation=[rule("min", "2024-01-01"), rule("max", "31/12/2024")]),
        ]
    )
    props = schema["properties"]
    assert schema["required"] == ["reason"]
    assert props["reason"]["minLength"] == 3 and props["reason"]["maxLength"] == 200
    assert props["amount"]["minimum"] == 1 and props["amount"]["maximum"] == 100
    assert props["due"]["formatMinimum"] == "2024-01-01"
    assert props["due"]["formatMaximum"] == "2024-12-31"


def test_readonly_is_never_required() -> None:
    schema = schema_from_camunda_fields([field("id", validation=[rule("required"), rule("readonly")])])
    assert schema["properties"]["id"]["readOnly"] is True
    assert schema["required"] == []


@pytest.mark.parametrize("rule_", [rule("validator", "com.acme.Check"), rule("odd")])
def test_custom_validators_are_refused(rule_: dict) -> None:
    with pytest.raises(FormDefinitionError) as err:
        schema_from_camunda_fields([field("x", validation=[rule_])])
    assert err.value.field == "x" and "not supported" in err.value.message


def test_properties_are_kept() -> None:
    prop = schema_from_camunda_fields([field("x", properties={"ui": "wide"})])["properties"]["x"]
    assert prop["x-properties"] == {"ui": "wide"}


@pytest.mark.parametrize(
    ("fdef", "needle"),
    [
        (field("reason", validation=[rule("maxlength", "abc")]), "not a whole number"),
        (field("reason", validation=[rule("minlength", None)]), "needs a config"),
        (field("reason", validation=[rule("minlength", "-1")]), "negative"),
        (field("qty", "long", validation=[rule("min", "lots")]), "not a number"),
        (field("due", "date", validation=[rule("max", "tomorrow")]), "not a date"),
        (field("reason", validation=[rule("min", "1")]), "only applies"),
        (field("qty", "long", validation=[rule("maxlength", "3")]), "only applies"),
        (field("qty", "long", validation=[rule("min", "5"), rule("max", "1")]), "greater than"),
        (field("qty", "long", default="five"), "whole number"),
        (field("ok", "boolean", default="yes"), "true or false"),
        (field("due", "date", default="2024-02-30"), "not a date"),
        (field("c", "enum", default="z", enum=[{"id": "a", "name": "A"}]), "enum values"),
    ],
)
def test_bad_definitions_name_the_field(fdef: dict[str, Any], needle: str) -> None:
    with pytest.raises(FormDefinitionError) as info:
        schema_from_camunda_fields([fdef])
    assert info.value.field == fdef["id"]
    assert needle in info.value.message


def test_duplicate_field_ids_rejected() -> None:
    with pytest.raises(FormDefinitionError) as info:
        schema_from_camunda_fields([field("a"), field("a", "long")])
    assert info.value.field == "a"


# ------------------------------------------------------------------ validation


@pytest.fixture
def order_schema() -> dict[str, Any]:
    return schema_from_camunda_fields(
        [
            field("item", validation=[rule("required")]),
            field("reason", validation=[rule("minlength", "3"), rule("maxlength", "10")]),
            field("amount", "long", validation=[rule("min", "1"), rule("max", "100")]),
            field("urgent", "boolean"),
            field("due", "date", validation=[rule("min", "2024-01-01"), rule("max", "2024-12-31")]),
            field("colour", "enum", enum=[{"id": "red", "name": "Red"}, {"id": "green", "name": "Green"}]),
            field("ticket", validation=[rule("readonly")]),
        ]
    )


def test_valid_submission_is_returned_clean(order_schema: dict[str, Any]) -> None:
    submitted = {"item": "pen", "amount": 5, "urgent": False, "due": "2024-06-01", "ticket": "T-9"}
    before = copy.deepcopy(submitted)
    cleaned = validate_submission(order_schema, submitted)
    assert cleaned == {"item": "pen", "amount": 5, "urgent": False, "due": "2024-06-01"}
    assert submitted == before


def test_integral_float_accepted_as_int(order_schema: dict[str, Any]) -> None:
    cleaned = validate_submission(order_schema, {"item": "pen", "amount": 5.0})
    assert cleaned["amount"] == 5 and type(cleaned["amount"]) is int


@pytest.mark.parametrize(
    ("variables", "path", "message"),
    [
        ({}, "item", "item: is required"),
        ({"item": "pen", "reason": "no"}, "reason", "reason: must be at least 3 characters"),
        ({"item": "pen", "reason": "x" * 11}, "reason", "reason: must be at most 10 characters"),
        ({"item": "pen", "amount": 0}, "amount", "amount: must be at least 1"),
        ({"item": "pen", "amount": 101}, "amount", "amount: must be at most 100"),
        ({"item": "pen", "amount": "5"}, "amount", "amount: must be an integer"),
        ({"item": "pen", "amount": True}, "amount", "amount: must be an integer"),
        ({"item": "pen", "amount": 5.5}, "amount", "amount: must be an integer"),
        ({"item": "pen", "urgent": "yes"}, "urgent", "urgent: must be true or false"),
        ({"item": 7}, "item", "item: must be text"),
        ({"item": "pen", "due": "2024-02-30"}, "due", "due: must be a date (YYYY-MM-DD)"),
        ({"item": "pen", "due": "01/06/2024"}, "due", "due: must be a date (YYYY-MM-DD)"),
        ({"item": "pen", "due": "2023-12-31"}, "due", "due: must be on or after 2024-01-01"),
        ({"item": "pen", "due": "2025-01-01"}, "due", "due: must be on or before 2024-12-31"),
        ({"item": "pen", "colour": "blue"}, "colour", "colour: must be one of red, green"),
        ({"item": "pen", "hack": 1}, "hack", "hack: not a field of this form"),
    ],
)
def test_single_error_messages(
    order_schema: dict[str, Any], variables: dict[str, Any], path: str, message: str
) -> None:
    assert errors_of(order_schema, variables) == {path: message}


def test_date_bounds_are_inclusive(order_schema: dict[str, Any]) -> None:
    for day in ("2024-01-01", "2024-12-31"):
        assert validate_submission(order_schema, {"item": "pen", "due": day})["due"] == day


def test_readonly_value_is_dropped_not_rejected(order_schema: dict[str, Any]) -> None:
    assert "ticket" not in validate_submission(order_schema, {"item": "pen", "ticket": 123})


def test_multiple_errors_at_once_in_form_order(order_schema: dict[str, Any]) -> None:
    errors = errors_of(
        order_schema,
        {"zzz": 1, "aaa": 2, "colour": "blue", "amount": True, "reason": ""},
    )
    assert list(errors) == ["item", "reason", "amount", "colour", "aaa", "zzz"]
    assert errors["item"] == "item: is required"
    assert errors["amount"] == "amount: must be an integer"
    assert errors["aaa"] == "aaa: not a field of this form"


@pytest.mark.parametrize("payload", [None, [], "x", 3, [{"item": "pen"}]])
def test_non_object_payload(order_schema: dict[str, Any], payload: object) -> None:
    assert errors_of(order_schema, payload) == {"": "variables must be a JSON object"}
    assert errors_of(None, payload) == {"": "variables must be a JSON object"}


@pytest.mark.parametrize("schema", [None, {}, {"type": "object", "properties": {}}])
def test_no_form_passes_variables_through(schema: dict | None) -> None:
    variables = {"anything": [1, 2], "goes": True}
    assert validate_submission(schema, variables) == variables


def test_nested_paths_and_other_formats() -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "at": {"type": "string", "format": "date-time"},
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"qty": {"type": "integer"}},
                    "required": ["qty"],
                },
            },
        },
    }
    errors = errors_of(
        schema,
        {"email": "nobody", "at": "2024-01-01 10:00", "lines": [{"qty": "two"}, {}]},
    )
    assert errors == {
        "email": "email: must be an email address",
        "at": "at: must be a date and time (YYYY-MM-DDTHH:MM:SS with a time zone)",
        "lines.0.qty": "lines.0.qty: must be an integer",
        "lines.1.qty": "lines.1.qty: is required",
    }
    ok = {"email": "a@b.example", "at": "2024-01-01T10:00:00+02:00", "lines": [{"qty": 1}]}
    assert validate_submission(schema, ok) == ok


def test_unusual_validator_falls_back_to_jsonschema_message() -> None:
    schema = {"type": "object", "properties": {"n": {"not": {"const": 3}}}}
    errors = errors_of(schema, {"n": 3})
    assert errors["n"].startswith("n: ") and "3" in errors["n"]


def test_spiff_readonly_required_field_is_not_demanded() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "readOnly": True}, "x": {"type": "string"}},
        "required": ["id"],
    }
    assert validate_submission(schema, {"x": "a", "id": "forged"}) == {"x": "a"}


def test_cache_is_not_poisoned_by_caller_mutation(order_schema: dict[str, Any]) -> None:
    validate_submission(order_schema, {"item": "pen"})
    order_schema["required"] = []
    assert errors_of(order_schema, {"item": 1}) == {"item": "item: must be text"}
    assert validate_submission(order_schema, {}) == {}


# ----------------------------------------------------------- spiff schema check


def test_check_json_schema_accepts_valid_object_schema() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Approve",
        "type": "object",
        "required": ["ok"],
        "properties": {"ok": {"type": "boolean"}},
    }
    assert check_json_schema(schema, "approve.json") is schema


@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ({"type": "object", "properties": {"a": {"type": "strnig"}}}, "not a valid JSON Schema"),
        ({"type": "object", "required": "a"}, "not a valid JSON Schema"),
        ({"type": "array", "items": {"type": "string"}}, "type 'object'"),
        ({"properties": {"a": {"type": "string"}}}, "type 'object'"),
        ({"$schema": "https://example.com/mine", "type": "object"}, "unsupported $schema"),
        (["not", "a", "dict"], "must be a JSON object"),
    ],
)
def test_check_json_schema_rejects(schema: Any, needle: str) -> None:
    with pytest.raises(FormDefinitionError) as info:
        check_json_schema(schema, "form.json")
    assert info.value.field == "form.json"
    assert needle in info.value.message
