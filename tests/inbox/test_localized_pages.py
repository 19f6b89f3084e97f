"""The pages in the reader's language where text comes from elsewhere: form validation, service errors,
HTTP error pages; read-only values in the reader's format; date-times in the browser's time zone.

The API keeps its English messages and JSON shape: each test checks that side too.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from server.errors import EngineError
from server.forms.render import fields, parse_submission
from server.forms.validation import FieldMessage, FormValidationError, validate_submission
from server.inbox.routes import readonly_value
from server.inbox.texts import field_message
from tests.conftest import FIXTURES, purchase_request_team

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
START = "/start/purchase_request"


@pytest.fixture
def people(api: Any) -> Any:
    api.user("max", groups=("managers",))
    return purchase_request_team(api)


def text(response: Any, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return unescape(response.get_data(as_text=True))


def alerts(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)]


def field_error(html: str, name: str) -> str:
    block = re.search(rf'data-field="{name}">(.*?)(?:data-field=|</form>)', html, re.S)
    assert block, f"no field {name}"
    message = re.search(r'class="invalid-feedback[^"]*">(.*?)</div>', block.group(1), re.S)
    assert message, f"no message beside {name}"
    return message.group(1).strip()


# --- 1. validation messages -------------------------------------------------------------------------


def test_validation_messages_are_translated_on_the_page(people: Any, browser: Any) -> None:
    alice = browser("alice")
    bad = {"item": "", "amount": "lots", "reason": "no"}
    chinese = text(alice.post(START, bad, headers=ZH), 422)
    assert field_error(chinese, "item") == "为必填项"
    assert field_error(chinese, "amount") == "必须是整数"
    assert field_error(chinese, "reason") == "至少需要 5 个字符"
    assert "must be" not in chinese and "is required" not in chinese
    assert 'value="lots"' in chinese  # what was typed stays

    english = text(alice.post(START, {**bad, "amount": "0"}, headers=EN), 422)
    assert field_error(english, "item") == "is required"
    assert field_error(english, "amount") == "must be at least 1"
    assert field_error(english, "reason") == "must be at least 5 characters"


def test_the_api_keeps_its_english_messages(people: Any) -> None:
    response = people.client.post("/api/v1/process-definitions/purchase_request/start",
                                  json={"variables": {"amount": "lots", "reason": "no"}},
                                  headers={**people.headers("alice"), **ZH})
    assert response.status_code == 422
    assert response.get_json() == {"error": {
        "code": "validation_error", "message": "The submitted variables are not valid for this form.",
        "fields": {"item": "item: is required", "amount": "amount: must be an integer",
                   "reason": "reason: must be at least 5 characters"}}}


def test_every_code_has_a_translation(app: Any) -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["a"], "properties": {
        "a": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^x"},
        "n": {"type": "number", "minimum": 1000, "maximum": 2000, "multipleOf": 5},
        "m": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 9},
        "c": {"enum": ["red", "green"]}, "d": {"type": "string", "format": "date", "formatMinimum": "2026-03-05"},
        "e": {"type": "string", "format": "email"}, "k": {"const": 7},
        "l": {"type": "array", "minItems": 2, "maxItems": 3, "uniqueItems": True},
    }}
    cases = [
        ({"a": 1}, "a", "type", "必须是文本"), ({"a": "y"}, "a", "minLength", "至少需要 2 个字符"),
        ({"a": "xxxx"}, "a", "maxLength", "最多 3 个字符"), ({"a": "yy"}, "a", "pattern", "必须符合格式 ^x"),
        ({"n": 10}, "n", "minimum", "不能小于 1,000"), ({"n": 20000}, "n", "maximum", "不能大于 2,000"),
        ({"n": 1001}, "n", "multipleOf", "必须是 5 的倍数"), ({"m": 0}, "m", "exclusiveMinimum", "必须大于 0"),
        ({"m": 9}, "m", "exclusiveMaximum", "必须小于 9"), ({"c": "blue"}, "c", "enum", "必须是以下之一：red、green"),
        ({"d": "2026-01-01"}, "d", "formatMinimum", "不能早于 2026年3月5日"), ({"d": "x"}, "d", "format",
                                                                          "必须是日期（YYYY-MM-DD）"),
        ({"e": "nope"}, "e", "format", "必须是电子邮件地址"), ({"k": 8}, "k", "const", "必须是 7"),
        ({"l": [1]}, "l", "minItems", "至少需要 2 项"), ({"l": [1, 2, 3, 4]}, "l", "maxItems", "最多 3 项"),
        ({"l": [1, 1]}, "l", "uniqueItems", "不能包含重复项"), ({"zz": 1}, "zz", "unknown_field", "不是此表单的字段"),
        ({}, "a", "required", "为必填项"),
    ]
    with app.test_request_context(headers=ZH):
        for variables, path, code, chinese in cases:
            with pytest.raises(FormValidationError) as failed:
                validate_submission(schema, {"a": "xy", **variables} if path != "a" else variables)
            message = failed.value.errors[path]
            assert isinstance(message, FieldMessage) and message.code == code, (path, message)
            assert message.startswith(f"{path}: ")  # the API's English text, unchanged
            assert field_message(message) == chinese, (code, field_message(message))
            assert json.loads(json.dumps({"m": message})) == {"m": str(message)}


# --- 2. service messages and error pages -------------------------------------------------------------


def test_claim_conflicts_and_task_states_are_translated(people: Any, browser: Any) -> None:
    people.start("alice", "purchase_request", {"item": "Pen", "amount": 50, "reason": "all gone"})
    [task] = people.open_tasks("mike", candidateGroup="managers")
    url = f"/tasks/{task['id']}"
    mike, max_ = browser("mike"), browser("max")
    page = max_.get(url, headers=ZH).get_data(as_text=True)  # max opens the page before mike claims
    assert mike.post(f"{url}/claim", {}, from_page=url).status_code == 302

    token = max_.csrf(page)
    lost = max_.client.post(f"{url}/claim", data={"csrf_token": token}, headers=ZH, follow_redirects=True)
    assert "此任务已被 mike 认领。" in text(lost, 403 if lost.status_code == 403 else 200)
    assert "already claimed" not in lost.get_data(as_text=True)

    assert mike.post(f"{url}/complete", {"managerDecision": "approve"}, from_page=url).status_code == 302
    done = text(mike.get(url, headers=ZH), 200)
    assert "此任务状态：已完成。" in alerts(done)
    again = mike.post(f"{url}/unclaim", {}, from_page=url, headers=ZH, follow_redirects=True)
    assert "此任务状态：已完成。" in again.get_data(as_text=True)


def test_error_pages_are_localized_and_in_the_layout(people: Any, browser: Any) -> None:
    alice = browser("alice")
    missing = text(alice.get("/no-such-page", headers=ZH), 404)
    assert "此页面不存在。" in missing and 'data-status="404"' in missing and "navbar" in missing
    assert "Not Found" not in missing
    assert "This page does not exist." in text(alice.get("/no-such-page", headers=EN), 404)

    refused = text(alice.client.post("/logout", headers=ZH), 400)  # no CSRF token
    assert "此表单已过期或并非来自本站" in refused and "CSRF" not in refused

    assert "此页面不能这样使用。" in text(alice.client.put("/inbox", headers=ZH), 405)

    # The API keeps its JSON errors, for routing errors too.
    api_missing = people.client.get("/api/v1/no-such-thing", headers={**people.headers("alice"), **ZH})
    assert api_missing.status_code == 404 and api_missing.get_json()["error"]["code"] == "not_found"


def test_too_many_logins_get_a_localized_page(api: Any) -> None:
    api.user("alice")
    api.app.config["BOMS"] = api.app.config["BOMS"].__class__(
        **{**api.app.config["BOMS"].__dict__, "login_rate_limit": "1 per minute"})
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    for expected in (401, 429):
        response = client.post("/login", data={"username": "alice", "password": "bad", "csrf_token": token},
                               headers=ZH)
        assert response.status_code == expected
    page = response.get_data(as_text=True)
    assert "尝试次数过多" in page and "Too Many Requests" not in page


def test_a_failing_step_is_explained_in_the_readers_language(people: Any, browser: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    people.start("alice", "purchase_request", {"item": "Pen", "amount": 50, "reason": "all gone"})
    [task] = people.open_tasks("mike", candidateGroup="managers")

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise EngineError("no outgoing flow matched", element="route")

    monkeypatch.setattr(people.app.extensions["boms_runner"], "complete_task", fail)
    url = f"/tasks/{task['id']}"
    page = text(browser("mike").post(f"{url}/complete", {"managerDecision": "approve"}, from_page=url,
                                     headers=ZH), 422)
    [alert] = [a for a in alerts(page) if "route" in a]
    assert alert.startswith("流程无法在步骤“route”继续。") and "no outgoing flow" not in alert


# --- 3. date-times in the browser's zone ---------------------------------------------------------------

DATE_TIME_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "deliverBy": {"type": "string", "format": "date-time", "title": "Deliver by"},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"}}}},
}}


def test_datetime_inputs_are_read_in_the_browsers_zone() -> None:
    form = MultiDict({"deliverBy": "2026-03-05T09:30", "lines-0-at": "2026-07-01T12:00",
                      "boms-tz": "Europe/Berlin", "boms-tz-offset": "-60"})
    # Berlin is UTC+1 in March and UTC+2 in July: the zone, not today's offset, decides.
    assert parse_submission(DATE_TIME_SCHEMA, form) == {"deliverBy": "2026-03-05T08:30:00Z",
                                                        "lines": [{"at": "2026-07-01T10:00:00Z"}]}
    offset_only = MultiDict({"deliverBy": "2026-03-05T09:30", "boms-tz": "Not/AZone", "boms-tz-offset": "-480"})
    assert parse_submission(DATE_TIME_SCHEMA, offset_only) == {"deliverBy": "2026-03-05T01:30:00Z"}
    for hostile in ("99999", "abc", ""):
        utc = MultiDict({"deliverBy": "2026-03-05T09:30", "boms-tz": "../../etc/passwd", "boms-tz-offset": hostile})
        assert parse_submission(DATE_TIME_SCHEMA, utc) == {"deliverBy": "2026-03-05T09:30:00Z"}
    invalid = parse_submission(DATE_TIME_SCHEMA, MultiDict({"deliverBy": "2026-02-30T09:30", "boms-tz": "UTC"}))
    with pytest.raises(FormValidationError):
        validate_submission(DATE_TIME_SCHEMA, invalid)


def test_stored_datetimes_carry_their_instant_for_the_browser() -> None:
    [deliver, _] = fields(DATE_TIME_SCHEMA, {"deliverBy": "2026-03-05T08:30:00Z"})
    assert deliver.value == "2026-03-05T08:30" and deliver.attrs["data-utc"] == "2026-03-05T08:30:00Z"
    [typed, _] = fields(DATE_TIME_SCHEMA, {"deliverBy": "2026-03-05T09:30"})  # came back as typed
    assert typed.value == "2026-03-05T09:30" and "data-utc" not in typed.attrs


@pytest.fixture
def dated(api: Any, tmp_path: Path) -> dict[str, Any]:
    bpmn = (FIXTURES / "spiff" / "order-lines.bpmn").read_text().replace("order-lines-schema.json", "dated.json")
    (tmp_path / "dated.bpmn").write_text(bpmn)
    (tmp_path / "dated.json").write_text(json.dumps(DATE_TIME_SCHEMA))
    api.user("alice", groups=("employees",))
    api.deploy("modeler", tmp_path / "dated.bpmn", tmp_path / "dated.json")
    started = api.start("alice", "order_lines")
    return {"instance": started["id"], "task": started["openTasks"][0]["id"]}


def test_the_task_page_sends_and_stores_the_browsers_zone(api: Any, browser: Any, dated: dict[str, Any]) -> None:
    alice = browser("alice")
    url = f"/tasks/{dated['task']}"
    page = text(alice.get(url, headers=ZH), 200)
    assert 'name="boms-tz"' in page and 'name="boms-tz-offset"' in page and "timezone.js" in page
    assert 'data-testid="tz-note">时区： <span data-tz-label>UTC</span>' in page
    done = alice.post(f"{url}/complete", {"deliverBy": "2026-03-05T09:30", "boms-tz": "Asia/Shanghai"},
                      from_page=url)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    variables = api.get("admin", f"/api/v1/process-instances/{dated['instance']}").get_json()["variables"]
    assert variables["deliverBy"] == "2026-03-05T01:30:00Z"


# --- 4. read-only values ---------------------------------------------------------------------------


def test_read_only_values_are_in_the_readers_format(app: Any) -> None:
    with app.test_request_context(headers=ZH):
        assert readonly_value(8000, "number") == "8,000"
        assert readonly_value(8000, "money") == "8,000.00"
        assert readonly_value("2026-03-05", "date") == "2026年3月5日"
        assert readonly_value("2026-03-05T08:30", "datetime") == "2026年3月5日 08:30:00 UTC"
        assert readonly_value("lots", "number") == "lots" and readonly_value(None, "date") == ""
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert readonly_value(1234.5, "number") == "1,234.5"  # German is not offered: English


def test_the_finance_page_shows_the_amount_formatted(people: Any, browser: Any) -> None:
    people.start("alice", "purchase_request", {"item": "Laptop", "amount": 8000, "reason": "old one broke"})
    [task] = people.open_tasks("mike", candidateGroup="managers")
    mike = browser("mike")
    url = f"/tasks/{task['id']}"
    mike.post(f"{url}/claim", {}, from_page=url)
    assert mike.post(f"{url}/complete", {"managerDecision": "approve"}, from_page=url).status_code == 302
    [finance] = people.open_tasks("fiona")
    page = text(browser("fiona").get(f"/tasks/{finance['id']}", headers=ZH), 200)
    assert re.search(r'id="f-amount" data-testid="readonly-value">8,000<', page)
