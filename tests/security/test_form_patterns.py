"""Form patterns run on a linear-time engine (RE2): a catastrophic pattern takes microseconds, JSON-Schema
semantics (search, not full match) stay, and a pattern RE2 cannot run is refused at deploy."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from server.forms.validation import FormValidationError, validate_submission
from tests.conftest import FIXTURES

EVIL = "^(a+)+$"
VALUE = "a" * 30 + "!"  # 30 s and doubling per character with Python's backtracking engine


def _schema(**prop: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"code": {"type": "string", **prop}}}


def test_a_catastrophic_pattern_is_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(FormValidationError) as caught:
        validate_submission(_schema(pattern=EVIL), {"code": VALUE})
    assert time.perf_counter() - started < 3  # linear-time re2: far below backtracking's 30 s
    assert "code" in caught.value.errors


def test_patterns_search_as_json_schema_says() -> None:
    assert validate_submission(_schema(pattern="b"), {"code": "abc"}) == {"code": "abc"}
    assert validate_submission(_schema(pattern="^[A-Z]{2}-\\d+$"), {"code": "PR-12"}) == {"code": "PR-12"}
    with pytest.raises(FormValidationError):
        validate_submission(_schema(pattern="^[A-Z]{2}-\\d+$"), {"code": "PR-12x"})


def test_pattern_properties_and_additional_properties_use_re2() -> None:
    schema = {"type": "object", "properties": {"rows": {
        "type": "object", "patternProperties": {EVIL: {"type": "integer"}}, "additionalProperties": False}}}
    started = time.perf_counter()
    with pytest.raises(FormValidationError) as caught:
        validate_submission(schema, {"rows": {VALUE: 1}})
    assert time.perf_counter() - started < 3  # linear-time re2: far below backtracking's 30 s
    assert list(caught.value.errors) == [f"rows.{VALUE}"]
    assert validate_submission(schema, {"rows": {"aaa": 1}}) == {"rows": {"aaa": 1}}
    with pytest.raises(FormValidationError):
        validate_submission(schema, {"rows": {"aaa": "one"}})


def _deploy_with(api: Any, prop: dict[str, Any]) -> Any:
    schema = json.loads((FIXTURES / "spiff/order-lines-schema.json").read_text())
    schema["properties"]["lines"]["items"]["properties"]["item"].update(prop)
    files = [(open(FIXTURES / "spiff/order-lines.bpmn", "rb"), "order-lines.bpmn"),  # noqa: SIM115
             (io.BytesIO(json.dumps(schema).encode()), "order-lines-schema.json")]
    return api.client.post("/api/v1/deployments", headers=api.headers("modeler"), data={"file": files},
                           content_type="multipart/form-data")


def test_a_pattern_re2_cannot_run_is_refused_at_deploy(api: Any) -> None:
    refused = _deploy_with(api, {"pattern": "^(?=x)a"})
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert error["element"] and "lines.items.item" in error["message"] and "pattern" in error["message"]
    assert _deploy_with(api, {"pattern": EVIL}).status_code == 201
