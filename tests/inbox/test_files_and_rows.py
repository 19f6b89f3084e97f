"""File uploads and repeatable rows in the web forms (tests/fixtures/spiff/order-lines.bpmn)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from server.errors import EngineError
from server.forms.files import validation_schema
from server.forms.render import fields, parse_submission
from server.forms.validation import FormValidationError, validate_submission
from server.models import StoredFile
from tests.conftest import FIXTURES

PDF = b"%PDF-1.4 a quote\n"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["lines"],
    "properties": {
        "lines": {"type": "array", "items": {"type": "object", "required": ["item"], "properties": {
            "item": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}, "price": {"type": "number"},
            "urgent": {"type": "boolean"}}}},
        "attachment": {"type": "string", "format": "data-url"},
    },
}


@pytest.fixture
def order(api: Any) -> dict[str, Any]:
    """alice (employees) fills the order lines; mike (approvers) approves; olga (warehouse) is not involved."""
    api.user("alice", groups=("employees",))
    api.user("mike", groups=("approvers",))
    api.user("olga", groups=("warehouse",))
    api.deploy("modeler", "spiff/order-lines.bpmn", "spiff/order-lines-schema.json")
    started = api.start("alice", "order_lines")
    [task] = started["openTasks"]
    return {"instance": started["id"], "task": task["id"]}


def submit(person: Any, task_id: str, data: dict[str, Any]) -> Any:
    """A multipart POST of the task form, as a browser sends a form with a file input."""
    token = person.csrf(person.get(f"/tasks/{task_id}").get_data(as_text=True))
    return person.client.post(f"/tasks/{task_id}/complete", data={**data, "csrf_token": token},
                              content_type="multipart/form-data")


def stored(api: Any) -> list[StoredFile]:
    with api.app.extensions["boms_db"].read() as session:
        return list(session.scalars(select(StoredFile)))


def files_on_disk(api: Any) -> list[Path]:
    root = api.app.config["BOMS"].instance_path / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def variables(api: Any, instance_id: str) -> dict[str, Any]:
    return api.get("admin", f"/api/v1/process-instances/{instance_id}").get_json()["variables"]


def cell(html: str, name: str) -> str:
    match = re.search(rf'<td data-cell="{name}">(.*?)</td>', html, re.S)
    assert match, f"no cell {name}"
    return match.group(1)


# --- the pages ---------------------------------------------------------------------------------


def test_the_form_has_a_rows_table_and_a_file_input(order: Any, browser: Any) -> None:
    html = browser("alice").get(f"/tasks/{order['task']}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" id="f-attachment" name="attachment"' in html
    assert html.index(">Item") < html.index(">Quantity") < html.index(">Unit price")  # the modeler's order
    for name in ("lines-0-item", "lines-0-qty", "lines-0-price"):  # one empty row, usable without JavaScript
        assert f'name="{name}"' in html
    assert 'name="lines-1-item"' not in html
    assert 'name="lines-__index__-qty"' in html and "data-add-row" in html and "/static/rows.js" in html


def test_upload_is_stored_and_participants_may_download_it(order: Any, api: Any, browser: Any) -> None:
    alice = browser("alice")
    response = submit(alice, order["task"], {"lines-0-item": "Paper", "lines-0-qty": "2", "lines-0-price": "4.50",
                                             "attachment": (io.BytesIO(PDF), "quote.pdf", "application/pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)
    values = variables(api, order["instance"])
    assert values["lines"] == [{"item": "Paper", "qty": 2, "price": 4.5}]
    ref = values["attachment"]
    assert ref == {"fileId": ref["fileId"], "name": "quote.pdf", "size": len(PDF), "contentType": "application/pdf"}
    [row] = stored(api)
    assert (row.id, row.instance_id, row.task_id, row.field) == (ref["fileId"], order["instance"], order["task"],
                                                                  "attachment")
    assert row.uploaded_by == "alice" and len(row.sha256) == 64 and row.stored_path == f"{row.id[:2]}/{row.id}"
    [path] = files_on_disk(api)
    assert path.read_bytes() == PDF and path.name == row.id  # never the user's file name on disk

    [approve] = api.open_tasks("mike")
    page = browser("mike").get(f"/tasks/{approve['id']}").get_data(as_text=True)
    assert f'href="/files/{row.id}"' in page and "quote.pdf" in page and "17 bytes" in page
    for who in ("alice", "mike", "admin", "auditor"):
        download = browser(who).get(f"/files/{row.id}")
        assert download.status_code == 200, who
        assert download.data == PDF
    instance_page = alice.get(f"/instances/{order['instance']}").get_data(as_text=True)
    assert f'href="/files/{row.id}"' in instance_page and 'data-testid="rows-value"' in instance_page


def test_cannot_see_another_users_files(order: Any, api: Any, browser: Any) -> None:
    submit(browser("alice"), order["task"], {"lines-0-item": "Paper",
                                             "attachment": (io.BytesIO(PDF), "quote.pdf")})
    [row] = stored(api)
    olga = browser("olga")
    assert olga.get(f"/files/{row.id}").status_code == 403
    assert olga.get("/files/6f1c1d6e-0000-4000-8000-000000000000").status_code == 404
    assert olga.get("/files/..%2Fsecret_key").status_code == 404
    assert api.app.test_client().get(f"/files/{row.id}").status_code == 302  # to the login page


def test_served_as_attachment_with_nosniff(order: Any, api: Any, browser: Any) -> None:
    alice = browser("alice")
    submit(alice, order["task"], {"lines-0-item": "Paper", "attachment": (
        io.BytesIO(b"<script>alert(1)</script>"), "../../evil page.html", "text/html")})
    [row] = stored(api)
    assert row.file_name == "evil page.html"
    response = alice.get(f"/files/{row.id}")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "evil page.html" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_too_large_file_is_refused_and_nothing_stored(order: Any, api: Any, browser: Any) -> None:
    limit = api.app.config["BOMS"].max_upload_bytes
    response = submit(browser("alice"), order["task"], {
        "lines-0-item": "Paper", "lines-0-qty": "3",
        "attachment": (io.BytesIO(b"x" * (limit + 1)), "big.pdf", "application/pdf")})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert re.search(r'data-field="attachment">.*invalid-feedback">file is larger than 2 MB<', html, re.S)
    assert 'value="Paper"' in html and 'value="3"' in html  # what was typed is kept
    assert stored(api) == [] and files_on_disk(api) == []
    assert api.get("alice", f"/api/v1/tasks/{order['task']}").get_json()["status"] == "open"


def test_a_body_too_large_to_read_gets_a_page_not_a_crash(order: Any, api: Any, browser: Any) -> None:
    from server.inbox.files import FILES_PER_SUBMISSION, FORM_ALLOWANCE

    limit = api.app.config["BOMS"].max_upload_bytes
    huge = b"x" * (FILES_PER_SUBMISSION * limit + FORM_ALLOWANCE)
    response = submit(browser("alice"), order["task"], {"attachment": (io.BytesIO(huge), "huge.bin")})
    assert response.status_code == 413
    assert "each file may have at most 2 MB" in response.get_data(as_text=True)
    assert stored(api) == [] and files_on_disk(api) == []


def test_file_is_removed_when_the_submission_is_invalid(order: Any, api: Any, browser: Any) -> None:
    response = submit(browser("alice"), order["task"], {
        "lines-0-item": "Paper", "lines-0-qty": "2", "lines-0-price": "4.5",
        "lines-1-item": "Pens", "lines-1-qty": "0",
        "attachment": (io.BytesIO(PDF), "quote.pdf")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    bad = cell(html, "lines-1-qty")
    assert "is-invalid" in bad and "must be at least 1" in bad and 'value="0"' in bad
    assert "is-invalid" not in cell(html, "lines-0-qty")
    assert 'value="Paper"' in cell(html, "lines-0-item") and 'value="4.5"' in cell(html, "lines-0-price")
    assert "choose the file again" in html
    assert stored(api) == [] and files_on_disk(api) == []


def test_file_is_removed_when_the_engine_fails(order: Any, api: Any, browser: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise EngineError("the gateway has no way out")

    monkeypatch.setattr(api.app.extensions["boms_runner"], "complete_task", fail)
    response = submit(browser("alice"), order["task"], {"lines-0-item": "Paper",
                                                        "attachment": (io.BytesIO(PDF), "quote.pdf")})
    assert response.status_code == 422 and "the gateway has no way out" in response.get_data(as_text=True)
    assert stored(api) == [] and files_on_disk(api) == []


def test_rows_are_typed_and_empty_rows_skipped(order: Any, api: Any, browser: Any) -> None:
    response = submit(browser("alice"), order["task"], {
        "lines-0-item": "", "lines-0-qty": "", "lines-0-price": "",  # left empty
        "lines-1-item": "Clips", "lines-1-qty": "3", "lines-1-price": "2.50",
        "lines-7-item": "Pens",  # a gap in the indices: rows removed in the browser
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    values = variables(api, order["instance"])
    assert values["lines"] == [{"item": "Clips", "qty": 3, "price": 2.5}, {"item": "Pens"}]
    assert "attachment" not in values and stored(api) == []


def test_no_rows_at_all_is_reported_as_missing(order: Any, browser: Any) -> None:
    response = submit(browser("alice"), order["task"], {"lines-0-item": "  "})
    assert response.status_code == 422
    assert re.search(r'data-field="lines">.*invalid-feedback d-block">is required<', response.get_data(as_text=True),
                     re.S)


def test_a_start_form_with_a_file(api: Any, browser: Any, tmp_path: Path) -> None:
    """A start form's file has no task; the `x-widget: file` spelling is a file field as well."""
    api.user("alice", groups=("employees",))
    bpmn = (FIXTURES / "spiff/order-lines.bpmn").read_text().replace(
        '<bpmn:startEvent id="StartEvent_1">',
        '<bpmn:startEvent id="StartEvent_1"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="start-schema.json" />'
        "</spiffworkflow:properties></bpmn:extensionElements>")
    (tmp_path / "order-lines.bpmn").write_text(bpmn)
    (tmp_path / "start-schema.json").write_text(
        '{"type": "object", "required": ["quote"], "properties": {"quote": '
        '{"type": "object", "x-widget": "file", "title": "Quote"}}}')
    api.deploy("modeler", tmp_path / "order-lines.bpmn", tmp_path / "start-schema.json",
               FIXTURES / "spiff/order-lines-schema.json")
    alice = browser("alice")
    form = alice.get("/start/order_lines").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="quote"' in form
    token = alice.csrf(form)
    missing = alice.client.post("/start/order_lines", data={"csrf_token": token}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "is required" in missing.get_data(as_text=True)
    response = alice.client.post("/start/order_lines", data={"csrf_token": token,
                                                             "quote": (io.BytesIO(PDF), "q.pdf")},
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    [row] = stored(api)
    assert row.task_id is None and row.field == "quote"
    assert alice.get(f"/files/{row.id}").data == PDF


# --- the pieces, without a database ----------------------------------------------------------------


def test_parse_submission_reads_rows_like_top_level_fields() -> None:
    form = MultiDict({"lines-0-item": "A", "lines-0-qty": "2", "lines-0-urgent": "on",
                      "lines-1-item": "", "lines-1-qty": "",
                      "lines-2-item": "B", "lines-2-qty": "x", "lines-2-price": "1e2",
                      "attachment": "data:evil"})
    assert parse_submission(SCHEMA, form) == {"lines": [
        {"item": "A", "qty": 2, "urgent": True},
        {"item": "B", "qty": "x", "price": 100.0, "urgent": False},  # unreadable stays text, for the validator
    ]}


def test_web_validation_expects_a_stored_file_reference() -> None:
    ref = {"fileId": "6f1c1d6e-0000-4000-8000-000000000000", "name": "a.pdf", "size": 3, "contentType": "x/y"}
    lines = [{"item": "A"}]
    assert validate_submission(validation_schema(SCHEMA), {"lines": lines, "attachment": ref})["attachment"] == ref
    with pytest.raises(FormValidationError) as caught:
        validate_submission(validation_schema(SCHEMA), {"lines": lines, "attachment": "data:text/plain,hi"})
    assert set(caught.value.errors) == {"attachment"}
    assert SCHEMA["properties"]["attachment"] == {"type": "string", "format": "data-url"}  # the deployed one


def test_row_messages_land_on_their_cells() -> None:
    values = {"lines": [{"item": "A", "qty": 1}, {"item": "B", "qty": 0}]}
    [lines, attachment] = fields(SCHEMA, values, {"lines.1.qty": "lines.1.qty: must be at least 1"})
    assert (lines.widget, attachment.widget) == ("rows", "file")
    assert [c.name for c in lines.columns] == ["item", "qty", "price", "urgent"]
    assert len(lines.rows) == 3  # two rows and the blank one
    assert lines.rows[1][1].name == "lines-1-qty" and lines.rows[1][1].error == "must be at least 1"
    assert lines.rows[1][1].value == 0 and lines.rows[0][1].error is None and lines.error is None
    assert attachment.choose_again
